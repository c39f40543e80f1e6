"""Who may do what to a case (DESIGN 1, 2.5): one set of rules for the web app, the API and the
scenario replay, so that a refusal reads the same wherever it is met.

- practitioner: reads and works the unrestricted cases of their team; records new concerns.
- manager (a team's manager or head of service): the unrestricted cases of their own and managed
  teams, and the restricted cases that name them; authorises and returns single assessments,
  allocates and transfers cases and records management oversight on those cases.
- lado: every restricted (allegations) case and the unrestricted cases of their team (if any);
  allocates, transfers and authorises on restricted cases.
- performance (the data team): runs and downloads the statutory returns (DESIGN 8); no cases.
  The LADO's annual figures are also for LADOs (`may_see_lado_report`).
- admin, auditor: no cases.

Pure functions over an `Actor` and a case's `CaseAccess` (no personal data). A case the actor may
not read is answered as if it did not exist; `event_refusal` gives the reason for an event the
actor may read the case for but not do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from states import AddNoteData, Event, NoteKind
from workflows.queries import CaseAccess

__all__ = [
    "CASEWORK_ROLES",
    "LADO_REPORT_ROLES",
    "RETURNS_ROLES",
    "Actor",
    "event_refusal",
    "may_read",
    "may_run_returns",
    "may_see_lado_report",
    "may_supervise",
    "passes_to_lado",
]

CASEWORK_ROLES = frozenset({"practitioner", "manager", "lado"})
# Who may run and download the statutory returns: the data team and managers (heads of service
# among them). A return holds every child's record, so practitioners, admins and auditors may not.
RETURNS_ROLES = frozenset({"performance", "manager"})
# The LADO's annual figures (counts, no child or adult named): the returns roles and LADOs.
LADO_REPORT_ROLES = RETURNS_ROLES | {"lado"}


@dataclass(frozen=True)
class Actor:
    """The person acting: their role, team, and the teams they manage or head."""

    id: int
    username: str
    role: str
    team_id: int | None
    managed_team_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def team_ids(self) -> frozenset[int]:
        own = frozenset() if self.team_id is None else frozenset({self.team_id})
        if self.role == "manager":
            return own | self.managed_team_ids
        return own


def may_read(actor: Actor, case: CaseAccess) -> bool:
    """Read and work go together: whoever may read a case works it."""
    if actor.role not in CASEWORK_ROLES:
        return False
    if case.restricted:
        if actor.role == "lado":
            return True
        return actor.role == "manager" and actor.id in case.manager_ids
    return case.team_id is not None and case.team_id in actor.team_ids


def may_run_returns(role: str) -> bool:
    """Run, view and download the statutory returns (CIN census, Annex A, the LADO's figures)."""
    return role in RETURNS_ROLES


def may_see_lado_report(role: str) -> bool:
    """Run, view and download the LADO's annual figures."""
    return role in LADO_REPORT_ROLES


def may_supervise(actor: Actor, case: CaseAccess) -> bool:
    """Manage the case: a manager of its team, or for a restricted case a LADO or a manager named
    on it (or of its team)."""
    in_team = case.team_id is not None and case.team_id in actor.team_ids
    if case.restricted:
        return actor.role == "lado" or (
            actor.role == "manager" and (actor.id in case.manager_ids or in_team)
        )
    return actor.role == "manager" and in_team


_SUPERVISED: dict[Event, str] = {
    Event.AUTHORISE_ASSESSMENT: "only a manager of the case's team can authorise an assessment",
    Event.RETURN_ASSESSMENT: "only a manager of the case's team can return an assessment",
    Event.ALLOCATE: "only a manager of the case's team can allocate it",
    Event.TRANSFER: "only a manager of the case's team can transfer it",
}


def event_refusal(actor: Actor, case: CaseAccess, event: Event, data: object = None) -> str | None:
    """Why `actor` may not do `event` on `case` (None: they may), by role and team. Pages and
    the API answer a case the actor may not read as not found before asking this; the scenario
    replay asks it alone (a scenario's default organisation has no LADO to hold its allegations
    cases)."""
    if actor.role not in CASEWORK_ROLES:
        return f"{actor.username} ({actor.role}) does not work cases"
    if event in _SUPERVISED and not may_supervise(actor, case):
        return _SUPERVISED[event]
    if (
        event is Event.ADD_NOTE
        and isinstance(data, AddNoteData)
        and data.kind is NoteKind.MANAGEMENT_OVERSIGHT
        and not may_supervise(actor, case)
    ):
        return "management oversight is recorded by a manager of the case's team"
    return None


def passes_to_lado(owner_role: str | None, *, restricted: bool, lados: int) -> bool:
    """DESIGN 2.5 and 9: a restricted (allegations) case owned by anyone but a LADO leaves its
    owner for the LADOs' unallocated list, when the service has LADOs to hold it."""
    return restricted and owner_role != "lado" and lados > 0
