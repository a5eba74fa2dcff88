"""The admin only reads: every write to a council goes through minga.councils.services, which
enforce the rules (parity, alternating chairs, one ballot per organisation, quorum) and keep
the audit log. An admin form would bypass both."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    AgendaItem,
    Attendance,
    Ballot,
    Council,
    Decision,
    Election,
    Mandate,
    Meeting,
    Motion,
    Nomination,
    RollEntry,
    Seat,
    Term,
    Vote,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Council)
class CouncilAdmin(ReadOnlyAdmin):
    list_display = ["name", "territory", "government_seats", "civil_seats", "quorum_rule"]
    search_fields = ["name"]
    list_select_related = ["territory"]


@admin.register(Term)
class TermAdmin(ReadOnlyAdmin):
    list_display = ["council", "number", "start_date", "end_date", "chair_side"]
    list_select_related = ["council"]


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    list_display = ["term", "side", "number"]
    list_select_related = ["term__council"]


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ["person", "term", "side", "seat", "office", "source", "start_date", "end_date"]
    list_filter = ["side", "source", "office"]
    list_select_related = ["person", "term__council", "seat"]
    search_fields = ["person__name"]


@admin.register(Election)
class ElectionAdmin(ReadOnlyAdmin):
    list_display = ["term", "status", "seats", "seed", "counted_at"]
    list_select_related = ["term__council"]


@admin.register(Nomination)
class NominationAdmin(ReadOnlyAdmin):
    list_display = ["person", "organization", "election", "candidate_number", "elected_rank"]
    list_select_related = ["person", "organization", "election__term__council"]


@admin.register(RollEntry)
class RollEntryAdmin(ReadOnlyAdmin):
    list_display = ["organization", "election", "has_voted"]
    list_select_related = ["organization", "election__term__council"]


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    # Anonymous by construction: a ballot shows its preferences and nothing else.
    list_display = ["id", "election", "preferences"]
    list_select_related = ["election__term__council"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["title", "council", "starts_at", "minutes_published_at"]
    list_select_related = ["council"]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "position", "title"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "mandate", "side"]


@admin.register(Motion)
class MotionAdmin(ReadOnlyAdmin):
    list_display = ["title", "meeting", "majority_rule", "outcome", "closed_at"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["motion", "mandate", "side", "choice"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["text", "council", "is_priority_need", "service_category", "published_at"]
    list_filter = ["is_priority_need", "service_category"]
