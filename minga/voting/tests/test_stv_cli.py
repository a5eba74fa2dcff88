"""`minga stv count|vacancy`: JSON and text output, and one clear line for every bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minga.voting.stv_cli import USAGE, main

CASES = Path(__file__).parent / "stv_cases"
FOOD = str(CASES / "food.blt")
SEATS = "minga stv: --seats must be a whole number from 1 to 10000,"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_count_prints_the_elected_in_order_and_every_stage_as_json(capsys):
    status, out, err = run(capsys, "count", FOOD, "--json")

    document = json.loads(out)
    assert (status, err) == (0, "")
    assert document["elected"] == [2, 1, 4]
    assert [stage["action"] for stage in document["stages"]] == [
        "first preferences",
        "surplus",
        "exclusion",
        "exclusion",
    ]
    assert document["stages"][1]["transfers"] == {"2": "-6.00000", "4": "4.00000", "5": "2.00000"}
    assert document["quota"] == "6.00000"
    assert document["seed"] == 0
    assert document["candidates"]["4"] == "Strawberry"
    assert document["title"] == "Food election (Wikipedia, Single transferable vote)"


def test_count_takes_the_seats_and_the_seed_from_the_command_line(capsys):
    status, out, _ = run(
        capsys, "count", "--seats=1", str(CASES / "lot_tie.blt"), "--seed", "2", "--json"
    )

    document = json.loads(out)
    assert status == 0
    assert (document["seats"], document["seed"], document["elected"]) == (1, 2, [1])
    assert document["stages"][1]["tie_break"] == {
        "among": [1, 2], "chosen": 2, "method": "lot", "stage": None, "lot": 1,
    }  # fmt: skip


def test_count_without_json_prints_a_readable_count_sheet(capsys):
    status, out, _ = run(capsys, "count", str(CASES / "truncation.blt"))

    assert status == 0
    assert "Seats: 2  Valid ballots: 21  Invalid: 0  Quota: 8.00000  Seed: 0" in out
    assert "Stage 2: surplus of 1 Ana" in out
    assert "  2 Bruno                              2.18176         6.18176" in out
    assert "  lost to truncation                   0.00008" in out
    assert out.endswith("Elected, in order: 1 Ana, 3 Carla\n")


def test_vacancy_prints_who_fills_the_seat(capsys):
    status, out, _ = run(
        capsys,
        "vacancy",
        str(CASES / "two_surpluses.blt"),
        "--departed",
        "1",
        "--holding",
        "2,4",
        "--json",
    )

    document = json.loads(out)
    assert status == 0
    assert document["filled_by"] == [3]
    assert document["protected"] == [2, 4]
    assert document["withdrawn"] == [1]


def test_the_count_reads_the_ballots_from_standard_input(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(FOOD, encoding="utf-8"))  # noqa: SIM115

    status, out, _ = run(capsys, "count", "-", "--json")

    assert status == 0
    assert json.loads(out)["elected"] == [2, 1, 4]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["recount", FOOD], "minga stv: unknown command 'recount' (expected count or vacancy)"),
        (["count"], "minga stv: count needs a BLT file"),
        (["count", FOOD, FOOD], f"minga stv: unexpected argument {FOOD!r}: give one BLT file"),
        (["count", FOOD, "--seats"], "minga stv: --seats needs a value"),
        (["count", FOOD, "--seats", "two"], f"{SEATS} not 'two'"),
        (["count", FOOD, "--seats", "0"], f"{SEATS} not '0'"),
        (["count", FOOD, "--seed", "-3"],
         "minga stv: --seed must be a whole number from 0 to 9223372036854775807, not '-3'"),
        (["count", FOOD, "--seed", "1", "--seed", "2"], "minga stv: --seed is given twice"),
        (["count", FOOD, "--departed", "1"], "minga stv: unknown option '--departed' for count"),
        (["count", "/nonexistent/x.blt"],
         "minga stv: /nonexistent/x.blt: No such file or directory"),
        (["count", str(CASES)], f"minga stv: {CASES}: Is a directory"),
        (["vacancy", FOOD, "--departed", "1"], "minga stv: vacancy needs --departed and --holding"),
        (["vacancy", FOOD, "--departed", "1", "--holding", "2;4"],
         "minga stv: --holding must be candidate numbers separated by commas, not '2;4'"),
        (["vacancy", FOOD, "--departed", "1", "--holding", "1,2"],
         "minga stv: holding: candidate 1 cannot both hold a seat and be gone"),
    ],
)  # fmt: skip
def test_bad_arguments_give_one_clear_line_and_status_2(capsys, argv, message):
    status, out, err = run(capsys, *argv)

    assert (status, out) == (2, "")
    assert err.splitlines() == [message]


def test_no_arguments_print_the_usage_and_status_2_and_help_prints_it_with_0(capsys):
    assert run(capsys)[0] == 2
    assert run(capsys, "--help")[:2] == (0, USAGE + "\n")
    assert USAGE.startswith("usage: minga stv count FILE.blt [--seats N] [--seed S] [--json]\n")


def test_a_malformed_file_is_reported_with_its_line(capsys, tmp_path):
    path = tmp_path / "bad.blt"
    path.write_text('3 1\n1 1 0\n2 1 4 0\n0\n"A"\n"B"\n"C"\n"t"\n', encoding="utf-8")

    status, out, err = run(capsys, "count", str(path), "--json")

    assert (status, out) == (2, "")
    assert err == f"minga stv: {path}: line 3: candidate 4 does not exist (1 to 3)\n"


def test_a_file_cut_short_is_reported_at_the_line_past_its_end(capsys, tmp_path):
    path = tmp_path / "short.blt"
    path.write_text('3 1\n1 1 0\n0\n"A"\n"B"\n"C"\n', encoding="utf-8")

    status, out, err = run(capsys, "count", str(path), "--json")

    assert (status, out) == (2, "")
    assert err == f"minga stv: {path}: line 7: the file ends before the title\n"


def test_a_number_too_long_to_be_a_number_is_reported_with_its_line(capsys, tmp_path):
    path = tmp_path / "long.blt"
    path.write_text("3 1\n1 1 0\n" + "9" * 5000 + ' 1 0\n0\n"A"\n"B"\n"C"\n"t"\n')

    status, out, err = run(capsys, "count", str(path), "--json")

    assert (status, out) == (2, "")
    assert err == f"minga stv: {path}: line 3: the number 999999999999… has more than 20 digits\n"


def test_a_file_that_is_not_text_is_reported_with_its_line(capsys, tmp_path):
    path = tmp_path / "binary.blt"
    path.write_bytes(b"3 1\n\xff\xfe\n")

    status, _, err = run(capsys, "count", str(path))

    assert status == 2
    assert err == f"minga stv: {path}: line 2: the text is not valid UTF-8\n"


def test_the_minga_command_dispatches_stv_count_without_django(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "minga.cli", "stv", "count", FOOD, "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[3],
    )

    assert (completed.returncode, completed.stderr) == (0, "")
    assert json.loads(completed.stdout)["elected"] == [2, 1, 4]
