"""Who may read and change what (issue 4 item 3). Pure functions over the signed-in user.

- practitioner: reads and changes the unrestricted cases of their team; records new concerns.
- manager: the unrestricted cases of their own and managed teams, and the restricted cases that
  name them; the team dashboard; new concerns; reads the calendar.
- lado: every restricted (allegations) case and the unrestricted cases of their team (if any).
- admin: no cases; the calendar (adds one-off days); accounts (passwords, tokens, deactivation).
- auditor: no cases; the audit trail.
- performance (the data team): no cases; the statutory returns (`/reports`: Annex A and the
  LADO's figures), as managers may; LADOs see the LADO's figures.
- everyone signed in: their own password.

A case a user may not read is answered as if it did not exist (404), so guessing ids reveals
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from workflows.permissions import Actor, may_read, may_run_returns, may_see_lado_report
from workflows.queries import CaseAccess

__all__ = [
    "Role",
    "Viewer",
    "actor_of",
    "can_add_calendar_day",
    "can_manage_accounts",
    "can_raise_concern",
    "can_read_case",
    "can_run_returns",
    "can_see_audit",
    "can_see_calendar",
    "can_see_dashboard",
    "can_see_lado_report",
    "can_see_reports",
    "works_cases",
]


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    LADO = "lado"
    ADMIN = "admin"
    AUDITOR = "auditor"
    PERFORMANCE = "performance"


CASEWORK_ROLES = frozenset({Role.PRACTITIONER, Role.MANAGER, Role.LADO})


@dataclass(frozen=True)
class Viewer:
    """The signed-in user (person or system), as access decisions see it."""

    id: int
    username: str
    display_name: str
    role: Role
    team_id: int | None
    managed_team_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def team_ids(self) -> frozenset[int]:
        own = frozenset() if self.team_id is None else frozenset({self.team_id})
        if self.role is Role.MANAGER:
            return own | self.managed_team_ids
        return own


def works_cases(viewer: Viewer) -> bool:
    return viewer.role in CASEWORK_ROLES


def actor_of(viewer: Viewer) -> Actor:
    """The viewer as the shared permission rules (`workflows.permissions`) see them."""
    return Actor(
        id=viewer.id,
        username=viewer.username,
        role=viewer.role.value,
        team_id=viewer.team_id,
        managed_team_ids=viewer.managed_team_ids,
    )


def can_read_case(viewer: Viewer, case: CaseAccess) -> bool:
    """Read and change go together: whoever may read a case works it (the rules of
    `workflows.permissions`, shared with the API and the scenario replay)."""
    return may_read(actor_of(viewer), case)


def can_raise_concern(viewer: Viewer) -> bool:
    return works_cases(viewer)


def can_see_dashboard(viewer: Viewer) -> bool:
    return viewer.role is Role.MANAGER


def can_see_calendar(viewer: Viewer) -> bool:
    return viewer.role in (Role.ADMIN, Role.MANAGER)


def can_add_calendar_day(viewer: Viewer) -> bool:
    return viewer.role is Role.ADMIN


def can_see_audit(viewer: Viewer) -> bool:
    return viewer.role is Role.AUDITOR


def can_run_returns(viewer: Viewer) -> bool:
    """Run and download the statutory returns (Annex A): the data team and managers."""
    return may_run_returns(viewer.role.value)


def can_see_lado_report(viewer: Viewer) -> bool:
    """The LADO's annual figures: the returns roles and LADOs."""
    return may_see_lado_report(viewer.role.value)


def can_see_reports(viewer: Viewer) -> bool:
    """The list of returns (`/reports`): whoever may run at least one of them."""
    return can_run_returns(viewer) or can_see_lado_report(viewer)


def can_manage_accounts(viewer: Viewer) -> bool:
    return viewer.role is Role.ADMIN
