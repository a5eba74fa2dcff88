"""The services of participatory budgeting: each write, and each refusal with its exact message
and nothing changed."""

import pytest
from django.db.models import Model

from minga.budgeting import selectors, services
from minga.budgeting.models import (
    Ballot,
    Budget,
    CensusEntry,
    PaperBatch,
    Process,
    Project,
    ProjectUpdate,
    Result,
    VoterRecord,
)
from minga.core.models import AuditEvent

from .helpers import AT, DAY, T0, World, cedula, census_csv, claim, make_official, make_user

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    models: list[type[Model]] = [
        Process,
        Budget,
        Project,
        CensusEntry,
        VoterRecord,
        Ballot,
        PaperBatch,
        Result,
        ProjectUpdate,
        AuditEvent,
    ]
    return {m.__name__: m._default_manager.count() for m in models}


def paper(world: World, lines: list[tuple[int, str, str]], *, now=None) -> PaperBatch:
    text = "cedula,presupuesto,proyectos\n" + "".join(
        f"{cedula(n)},{code},{projects}\n" for n, code, projects in lines
    )
    return services.paper_ballots_upload(
        actor=world.official,
        process=world.process,
        csv_text=text,
        filename="mesa-1.csv",
        now=now or AT["voting"],
    )


# --- processes and budgets ---------------------------------------------------------------------


def test_a_process_whose_phases_are_out_of_order_is_refused_naming_the_field():
    world = World()
    before = counts()

    with pytest.raises(services.InvalidProcess) as refused:
        services.process_create(
            actor=world.official,
            territory=world.t["cotacachi"],
            slug="otro",
            title="Otro",
            proposals_open_at=T0,
            review_open_at=T0 + 10 * DAY,
            voting_open_at=T0 + 5 * DAY,
            voting_close_at=T0 + 30 * DAY,
            implementation_open_at=T0 + 40 * DAY,
            now=T0,
        )

    assert refused.value.field == "voting_open_at"
    assert refused.value.message == (
        "Las fases deben seguirse en orden: esta fecha es anterior a la fase previa."
    )
    assert counts() == before


def test_only_an_official_of_the_territory_opens_a_process_there():
    world = World()
    outsider = make_official("ibarreno", world.t["ibarra"])
    before = counts()

    with pytest.raises(services.NotAllowed) as refused:
        services.process_create(
            actor=outsider,
            territory=world.t["cotacachi"],
            slug="otro",
            title="Otro",
            proposals_open_at=T0,
            review_open_at=T0 + 10 * DAY,
            voting_open_at=T0 + 20 * DAY,
            voting_close_at=T0 + 30 * DAY,
            implementation_open_at=T0 + 40 * DAY,
            now=T0,
        )

    assert refused.value.message == (
        "Solo un/a funcionario/a del territorio puede abrir un proceso en él."
    )
    assert counts() == before


def test_a_process_defaults_to_equal_shares_with_cost_satisfaction_and_add1():
    world = World()

    assert (world.process.rule, world.process.satisfaction, world.process.completion) == (
        "mes",
        "cost",
        "add1",
    )
    assert world.process.eligibility == "own_territory"


def test_a_budget_outside_the_process_territory_is_refused():
    world = World()
    before = counts()

    with pytest.raises(services.InvalidBudget) as refused:
        services.budget_create(
            actor=world.official,
            process=world.process,
            territory=world.t["ibarra_urbana"],
            name="Ibarra",
            amount_cents=100_000,
            now=T0 - DAY,
        )

    assert refused.value.field == "territory"
    assert refused.value.message == (
        "El territorio del presupuesto debe estar dentro del territorio del proceso."
    )
    assert counts() == before


def test_a_budget_in_fractions_of_a_currency_unit_is_refused():
    world = World()

    with pytest.raises(services.InvalidBudget) as refused:
        services.budget_create(
            actor=world.official,
            process=world.process,
            territory=world.t["quiroga"],
            name="Quiroga",
            amount_cents=100_050,
            now=T0 - DAY,
        )

    assert refused.value.field == "amount_cents"
    assert refused.value.message == "El monto debe ser en unidades enteras de la moneda."


# --- proposals and review ---------------------------------------------------------------------


def test_a_resident_proposes_a_project_that_waits_for_review():
    world = World()

    project = services.project_propose(
        actor=world.resident,
        process=world.process,
        budget=world.apuela,
        title="Casa comunal",
        description="Techo nuevo.",
        estimated_cost_cents=20_000,
        location=world.t["apuela"],
        category=world.roads,
        image=services.ImageUpload(data=b"\x89PNG\r\n\x1a\n" + b"0" * 20, alt_text="Plano"),
        now=AT["proposals"],
    )

    assert project.status == "submitted"
    assert project.cost_cents == 20_000
    assert project.images.get().content_type == "image/png"
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "budgeting.project.propose"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "  "}, "title", "El título es obligatorio."),
        ({"description": ""}, "description", "La descripción es obligatoria."),
        (
            {"estimated_cost_cents": 60_000},
            "estimated_cost",
            "El costo estimado supera el presupuesto (500).",
        ),
        ({"estimated_cost_cents": 0}, "estimated_cost", "El monto debe ser mayor que cero."),
        (
            {"location": "urbana"},
            "location",
            "La ubicación debe estar dentro del territorio del presupuesto (Apuela).",
        ),
        ({"image": b"GIF89a"}, "image", "La imagen debe ser PNG o JPEG."),
        (
            {"image": b"\xff\xd8\xff", "alt": ""},
            "image_alt",
            "Describa la imagen para quien no puede verla.",
        ),
    ],
)
def test_a_bad_proposal_is_refused_naming_the_field_and_nothing_is_stored(change, field, message):
    world = World()
    before = counts()
    args = {
        "title": "Casa comunal",
        "description": "Techo nuevo.",
        "estimated_cost_cents": 20_000,
        "location": world.t["apuela"],
    }
    image = None
    if "image" in change:
        image = services.ImageUpload(data=change.pop("image"), alt_text=change.pop("alt", "x"))
    if change.get("location") == "urbana":
        change["location"] = world.t["urbana"]
    args.update(change)

    with pytest.raises(services.InvalidProposal) as refused:
        services.project_propose(
            actor=world.resident,
            process=world.process,
            budget=world.apuela,
            category=world.roads,
            image=image,
            now=AT["proposals"],
            **args,
        )

    assert (refused.value.field, refused.value.message) == (field, message)
    assert counts() == before


def test_a_proposal_after_the_proposals_phase_is_refused():
    world = World()
    before = counts()

    with pytest.raises(services.WrongPhase) as refused:
        services.project_propose(
            actor=world.resident,
            process=world.process,
            budget=world.apuela,
            title="Tarde",
            description="Llega tarde.",
            estimated_cost_cents=10_000,
            location=world.t["apuela"],
            category=world.roads,
            now=AT["review"],
        )

    assert refused.value.message == (
        "El proceso está en la fase «Revisión técnica»; esto se hace en la fase «Propuestas»."
    )
    assert counts() == before


def test_an_official_reviews_a_proposal_with_a_reason_and_an_adjusted_cost():
    world = World()

    project = services.project_review(
        actor=world.official,
        project=world.p4,
        feasible=True,
        reason="El puente necesita estudios de suelo.",
        adjusted_cost_cents=70_000,
        now=AT["review"],
    )

    assert (project.status, project.cost_cents, project.reviewed_by) == (
        "feasible",
        70_000,
        world.official,
    )
    assert project.review_reason == "El puente necesita estudios de suelo."


def test_an_official_of_another_canton_may_not_review():
    world = World()
    outsider = make_official("ibarreno", world.t["ibarra"])
    before = counts()

    with pytest.raises(services.NotAllowed) as refused:
        services.project_review(
            actor=outsider, project=world.p1, feasible=False, reason="No.", now=AT["review"]
        )

    assert refused.value.message == (
        "Solo un/a funcionario/a del territorio del proceso puede hacer esto."
    )
    world.p1.refresh_from_db()
    assert world.p1.status == "feasible"
    assert counts() == before


def test_a_review_without_a_reason_is_refused():
    world = World()

    with pytest.raises(services.InvalidReview) as refused:
        services.project_review(
            actor=world.official, project=world.p1, feasible=False, reason=" ", now=AT["review"]
        )

    assert (refused.value.field, refused.value.message) == (
        "reason",
        "Escriba el motivo de la decisión.",
    )
    world.p1.refresh_from_db()
    assert world.p1.status == "feasible"


# --- census -----------------------------------------------------------------------------------


def test_importing_the_same_census_again_adds_nobody():
    world = World()

    added = services.census_import(
        actor=world.official,
        process=world.process,
        csv_text=census_csv([(cedula(1), "100350"), (cedula(50), "100358")]),
        now=AT["review"],
    )

    assert added == 1
    assert world.process.census.count() == 14


def test_a_census_with_bad_lines_is_refused_whole_with_every_line_named():
    world = World()
    before = counts()
    text = census_csv(
        [
            (cedula(60), "100350"),
            ("1000000001", "100350"),
            (cedula(61), "999999"),
            (cedula(62), "100150"),
            (cedula(60), "100351"),
            (cedula(1), "100351"),
        ]
    )

    with pytest.raises(services.CensusImportRefused) as refused:
        services.census_import(
            actor=world.official, process=world.process, csv_text=text, now=AT["review"]
        )

    assert refused.value.errors == [
        (3, "cedula: el dígito verificador es 1, pero debería ser 8."),
        (4, "parroquia: no existe el territorio «999999»."),
        (5, "parroquia: «100150» no está dentro de Cotacachi."),
        (6, f"la cédula {cedula(60)} ya está en la línea 2."),
        (7, f"la cédula {cedula(1)} ya está en el censo con otra parroquia."),
    ]
    assert refused.value.message.startswith("No se guardó nada: el archivo tiene errores.\n")
    assert counts() == before


def test_a_census_without_the_expected_columns_is_refused_on_line_one():
    world = World()

    with pytest.raises(services.CensusImportRefused) as refused:
        services.census_import(
            actor=world.official,
            process=world.process,
            csv_text="dni;parroquia\n1;2\n",
            now=AT["review"],
        )

    assert refused.value.errors == [
        (1, "faltan las columnas cedula (se esperan: cedula, parroquia).")
    ]
    assert refused.value.message == (
        "línea 1: faltan las columnas cedula (se esperan: cedula, parroquia)."
    )


def test_a_census_saved_with_semicolons_is_read_too():
    world = World()

    added = services.census_import(
        actor=world.official,
        process=world.process,
        csv_text=f"cedula;parroquia\n{cedula(80)};100351\n",
        now=AT["review"],
    )

    assert added == 1


def test_a_cedula_is_claimed_by_one_account_only():
    world = World()
    claim(world.resident, world.process, cedula(1))
    other = make_user("impostor")

    with pytest.raises(services.CensusClaimRefused) as refused:
        claim(other, world.process, cedula(1))

    assert refused.value.message == (
        "Esa cédula ya fue verificada por otra cuenta. Acuda a la oficina del proceso."
    )
    assert world.process.census.get(identifier=cedula(1)).user == world.resident


def test_a_cedula_not_in_the_census_is_refused():
    world = World()

    with pytest.raises(services.CensusClaimRefused) as refused:
        claim(world.resident, world.process, cedula(999))

    assert refused.value.message == "Esa cédula no está en el censo de este proceso."
    assert not world.process.census.filter(user=world.resident).exists()


# --- ballots ----------------------------------------------------------------------------------


def test_a_vote_gives_a_receipt_and_the_ballot_box_keeps_no_trace_of_the_voter():
    world = World()
    entry = claim(world.resident, world.process, cedula(1))

    receipt = services.ballot_cast(
        actor=world.resident,
        entry=entry,
        budget=world.urbana,
        project_ids=[world.p1.pk, world.p3.pk],
        now=AT["voting"],
    )

    ballot = Ballot.objects.get()
    assert ballot.receipt_sha256 == selectors.receipt_sha256(receipt)
    assert selectors.ballot_project_ids(ballot) == sorted([world.p1.pk, world.p3.pk])
    assert {f.name for f in Ballot._meta.get_fields()} == {
        "id",
        "budget",
        "receipt_sha256",
        "projects",
        "channel",
    }
    assert {f.name for f in VoterRecord._meta.get_fields()} == {
        "id",
        "budget",
        "census_entry",
        "channel",
        "voted_at",
    }
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "budgeting.ballot.cast"
    assert event.after == {"process": "pp-2026", "budget": world.urbana.pk}


def test_a_voter_changes_their_ballot_with_their_receipt_until_voting_closes():
    world = World()
    entry = claim(world.resident, world.process, cedula(1))
    receipt = services.ballot_cast(
        actor=world.resident,
        entry=entry,
        budget=world.urbana,
        project_ids=[world.p1.pk],
        now=AT["voting"],
    )

    again = services.ballot_cast(
        actor=world.resident,
        entry=entry,
        budget=world.urbana,
        project_ids=[world.p2.pk, world.p4.pk],
        receipt=receipt,
        now=AT["voting"] + DAY,
    )

    assert again == receipt
    assert Ballot.objects.count() == 1 and VoterRecord.objects.count() == 1
    assert selectors.ballot_project_ids(Ballot.objects.get()) == sorted([world.p2.pk, world.p4.pk])
    with pytest.raises(services.WrongPhase):
        services.ballot_cast(
            actor=world.resident,
            entry=entry,
            budget=world.urbana,
            project_ids=[world.p3.pk],
            receipt=receipt,
            now=AT["results"],
        )
    assert selectors.ballot_project_ids(Ballot.objects.get()) == sorted([world.p2.pk, world.p4.pk])


def test_a_second_vote_without_the_receipt_is_refused_and_the_first_stays():
    world = World()
    entry = claim(world.resident, world.process, cedula(1))
    services.ballot_cast(
        actor=world.resident,
        entry=entry,
        budget=world.urbana,
        project_ids=[world.p1.pk],
        now=AT["voting"],
    )
    before = counts()

    with pytest.raises(services.ReceiptInvalid) as refused:
        services.ballot_cast(
            actor=world.resident,
            entry=entry,
            budget=world.urbana,
            project_ids=[world.p2.pk],
            receipt="0000-0000",
            now=AT["voting"],
        )

    assert refused.value.field == "receipt"
    assert refused.value.message == (
        "Para cambiar su voto, escriba el código de comprobante que recibió al votar."
    )
    assert selectors.ballot_project_ids(Ballot.objects.get()) == [world.p1.pk]
    assert counts() == before


def test_a_resident_may_vote_only_in_their_own_parish_budget_by_default():
    world = World()
    entry = claim(world.resident, world.process, cedula(1))

    with pytest.raises(services.NotEligible) as refused:
        services.ballot_cast(
            actor=world.resident,
            entry=entry,
            budget=world.apuela,
            project_ids=[world.p5.pk],
            now=AT["voting"],
        )

    assert refused.value.message == "Usted no puede votar en el presupuesto de Apuela."
    assert VoterRecord.objects.count() == 0 and Ballot.objects.count() == 0


def test_with_the_all_budgets_rule_a_resident_votes_in_every_budget():
    world = World(eligibility="all_budgets")
    entry = claim(world.resident, world.process, cedula(1))

    services.ballot_cast(
        actor=world.resident,
        entry=entry,
        budget=world.apuela,
        project_ids=[world.p5.pk],
        now=AT["voting"],
    )

    assert VoterRecord.objects.filter(budget=world.apuela).count() == 1


def test_a_knapsack_ballot_over_the_budget_is_refused():
    world = World(ballot_kind="knapsack")
    entry = claim(world.resident, world.process, cedula(1))

    with pytest.raises(services.BallotInvalid) as refused:
        services.ballot_cast(
            actor=world.resident,
            entry=entry,
            budget=world.urbana,
            project_ids=[world.p1.pk, world.p4.pk],
            now=AT["voting"],
        )

    assert (
        refused.value.message == "Su selección cuesta 1\xa0100 y supera el presupuesto de 1\xa0000."
    )
    assert Ballot.objects.count() == 0


def test_a_ballot_with_more_projects_than_the_maximum_is_refused():
    world = World(max_projects=2)
    entry = claim(world.resident, world.process, cedula(1))

    with pytest.raises(services.BallotInvalid) as refused:
        services.ballot_cast(
            actor=world.resident,
            entry=entry,
            budget=world.urbana,
            project_ids=[world.p1.pk, world.p2.pk, world.p3.pk],
            now=AT["voting"],
        )

    assert refused.value.message == "Elija como máximo 2 proyecto(s)."
    assert Ballot.objects.count() == 0


def test_an_unfeasible_project_is_not_on_the_ballot():
    world = World()
    services.project_review(
        actor=world.official,
        project=world.p4,
        feasible=False,
        reason="Sin terreno.",
        now=AT["review"],
    )
    entry = claim(world.resident, world.process, cedula(1))

    with pytest.raises(services.BallotInvalid) as refused:
        services.ballot_cast(
            actor=world.resident,
            entry=entry,
            budget=world.urbana,
            project_ids=[world.p4.pk],
            now=AT["voting"],
        )

    assert refused.value.message == (
        f"El proyecto {world.p4.pk} no está en la papeleta de Cotacachi urbana."
    )


# --- paper ballots ----------------------------------------------------------------------------


def test_paper_ballots_are_recorded_with_uploader_and_time():
    world = World()

    batch = paper(
        world, [(2, "100350", f"{world.p1.pk};{world.p3.pk}"), (11, "100351", str(world.p5.pk))]
    )

    assert (batch.uploaded_by, batch.uploaded_at, batch.ballots_count) == (
        world.official,
        AT["voting"],
        2,
    )
    assert VoterRecord.objects.filter(channel="paper").count() == 2
    assert Ballot.objects.filter(channel="paper").count() == 2


def test_paper_ballots_with_a_bad_line_record_nothing():
    world = World()
    entry = claim(world.resident, world.process, cedula(1))
    services.ballot_cast(
        actor=world.resident,
        entry=entry,
        budget=world.urbana,
        project_ids=[world.p1.pk],
        now=AT["voting"],
    )
    before = counts()

    with pytest.raises(services.PaperUploadRefused) as refused:
        paper(
            world,
            [
                (2, "100350", str(world.p1.pk)),
                (1, "100350", str(world.p2.pk)),
                (3, "100351", str(world.p5.pk)),
                (4, "100399", str(world.p1.pk)),
                (5, "100350", "uno"),
                (2, "100350", str(world.p2.pk)),
                (500, "100350", str(world.p2.pk)),
            ],
        )

    assert refused.value.errors == [
        (3, f"cedula: {cedula(1)} ya votó."),
        (4, f"cedula: {cedula(3)} no puede votar en Apuela."),
        (5, "presupuesto: no hay un presupuesto «100399» en este proceso."),
        (6, "proyectos: escriba números de proyecto separados por «;»."),
        (7, f"cedula: {cedula(2)} ya votó en la línea 2."),
        (8, f"cedula: {cedula(500)} no está en el censo."),
    ]
    assert counts() == before


# --- results ----------------------------------------------------------------------------------


def vote_scenario(world: World) -> None:
    """Urbana: six voters want the north's water (600), five of them the tank (300) too; four
    want the paving (400) and the bridge (500). Greedy serves only the majority; equal shares
    gives the minority its part of the budget."""
    p1, p2, p3, p4 = world.p1.pk, world.p2.pk, world.p3.pk, world.p4.pk
    lines = [(n, "100350", f"{p1};{p3}") for n in range(1, 6)]
    lines += [(6, "100350", str(p1))]
    lines += [(n, "100350", f"{p2};{p4}") for n in range(7, 11)]
    lines += [(11, "100351", str(world.p5.pk))]
    paper(world, lines)


def test_results_are_proportional_and_the_greedy_outcome_is_shown_beside_them():
    world = World()
    vote_scenario(world)

    results = services.results_compute(
        actor=world.official, process=world.process, now=AT["results"]
    )

    urbana = next(r for r in results if r.budget == world.urbana)
    assert urbana.selected == [str(world.p1.pk), str(world.p2.pk)]
    assert urbana.greedy_selected == [str(world.p1.pk), str(world.p3.pk)]
    assert urbana.cost_cents == 100_000
    assert urbana.voters == 10
    assert urbana.explanations[str(world.p2.pk)]["reason"] == "mes-bought"
    assert urbana.explanations[str(world.p4.pk)]["reason"] == "mes-unaffordable"
    apuela = next(r for r in results if r.budget == world.apuela)
    assert apuela.selected == [str(world.p5.pk)]
    assert set(Project.objects.filter(selected=True).values_list("pk", flat=True)) == {
        world.p1.pk,
        world.p2.pk,
        world.p5.pk,
    }
    world.process.refresh_from_db()
    assert world.process.results_published_at == AT["results"]


def test_the_published_ballots_recount_to_the_published_result():
    from minga.budgeting.tally import run_rule
    from minga.voting import pabulib

    world = World()
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    result = Result.objects.get(budget=world.urbana)

    instance, profile = pabulib.parse_string(result.pb_file)
    selected, _ = run_rule(instance, profile, rule="mes", satisfaction="cost", completion="add1")

    assert selected == result.selected
    assert len(profile.ballots) == 10
    assert instance.budget == 1000
    assert dict(instance.meta)["rule"] == "equalshares/add1"
    assert {p.project_id: p.field("selected") for p in instance.projects} == {
        str(world.p1.pk): "1",
        str(world.p2.pk): "1",
        str(world.p3.pk): "0",
        str(world.p4.pk): "0",
    }


def test_results_are_published_once_and_not_before_voting_closes():
    world = World()
    vote_scenario(world)

    with pytest.raises(services.WrongPhase):
        services.results_compute(actor=world.official, process=world.process, now=AT["voting"])
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    before = counts()
    with pytest.raises(services.ResultsRefused) as refused:
        services.results_compute(actor=world.official, process=world.process, now=AT["results"])

    assert refused.value.message == "Los resultados de este proceso ya se publicaron."
    assert counts() == before


def test_a_greedy_process_publishes_the_greedy_outcome():
    world = World(rule="greedy", completion="none")
    vote_scenario(world)

    results = services.results_compute(
        actor=world.official, process=world.process, now=AT["results"]
    )

    urbana = next(r for r in results if r.budget == world.urbana)
    assert urbana.selected == [str(world.p1.pk), str(world.p3.pk)]


# --- implementation ---------------------------------------------------------------------------


def test_officials_track_a_funded_project_with_dated_updates():
    world = World()
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    project = Project.objects.get(pk=world.p1.pk)

    services.project_update_record(
        actor=world.official,
        project=project,
        update_date=AT["implementation"].date(),
        status="in_progress",
        progress_percent=40,
        spent_cents=25_000,
        note="Tubería colocada en la mitad del barrio.",
        now=AT["implementation"],
    )

    project.refresh_from_db()
    assert (project.implementation_status, project.progress_percent, project.spent_cents) == (
        "in_progress",
        40,
        25_000,
    )
    assert [u.note for u in selectors.project_updates(project)] == [
        "Tubería colocada en la mitad del barrio."
    ]


@pytest.mark.parametrize(
    ("status", "percent", "field", "message"),
    [
        ("done", 50, "status", "Estado desconocido: «done»."),
        ("in_progress", 101, "progress_percent", "El avance va de 0 a 100 %."),
        ("completed", 90, "progress_percent", "Un proyecto terminado tiene un avance del 100 %."),
    ],
)
def test_a_bad_progress_update_is_refused(status, percent, field, message):
    world = World()
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])
    before = counts()

    with pytest.raises(services.UpdateInvalid) as refused:
        services.project_update_record(
            actor=world.official,
            project=Project.objects.get(pk=world.p1.pk),
            update_date=AT["implementation"].date(),
            status=status,
            progress_percent=percent,
            spent_cents=0,
            note="Nota.",
            now=AT["implementation"],
        )

    assert (refused.value.field, refused.value.message) == (field, message)
    assert counts() == before


def test_a_project_that_was_not_funded_is_not_tracked():
    world = World()
    vote_scenario(world)
    services.results_compute(actor=world.official, process=world.process, now=AT["results"])

    with pytest.raises(services.UpdateInvalid) as refused:
        services.project_update_record(
            actor=world.official,
            project=Project.objects.get(pk=world.p4.pk),
            update_date=AT["implementation"].date(),
            status="in_progress",
            progress_percent=10,
            spent_cents=0,
            note="Nota.",
            now=AT["implementation"],
        )

    assert refused.value.message == "Solo se da seguimiento a los proyectos seleccionados."
