"""Minimal rows for delivery tests, written with Core inserts (the services build real cases in
the flow tests; here only the outbox and the org model matter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from workflows.persistence import SessionFactory, alerts, cases, deadlines, teams, users

__all__ = ["Org", "add_alert", "add_case", "add_deadline", "make_org"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Org:
    team_id: int
    owner_id: int
    manager_id: int
    head_id: int


def _user(sf: SessionFactory, username: str, role: str, team_id: int | None, email: str) -> int:
    with sf.begin() as s:
        uid: int = s.execute(
            insert(users)
            .values(
                username=username,
                display_name=username.title(),
                email=email,
                role=role,
                team_id=team_id,
                active=True,
                created_at=T0,
            )
            .returning(users.c.id)
        ).scalar_one()
    return uid


def make_org(sf: SessionFactory, *, team: str = "Online harm", with_manager: bool = True) -> Org:
    with sf.begin() as s:
        team_id: int = s.execute(insert(teams).values(name=team).returning(teams.c.id)).scalar_one()
    slug = team.lower().replace(" ", "")
    owner = _user(sf, f"sam{slug}", "practitioner", team_id, f"sam@{slug}.test")
    manager = _user(sf, f"morgan{slug}", "manager", team_id, f"morgan@{slug}.test")
    head = _user(sf, f"hana{slug}", "manager", None, f"hana@{slug}.test")
    with sf.begin() as s:
        s.execute(
            teams.update()
            .where(teams.c.id == team_id)
            .values(manager_id=manager if with_manager else None, head_of_service_id=head)
        )
    return Org(team_id, owner, manager, head)


def add_case(
    sf: SessionFactory,
    org: Org,
    reference: str,
    *,
    restricted: bool = False,
    region: str = "england-and-wales",
) -> int:
    with sf.begin() as s:
        case_id: int = s.execute(
            insert(cases)
            .values(
                reference=reference,
                region=region,
                policy_name="england-2023",
                state="referral",
                allegation_state=None,
                facts={"category": "online_grooming", "children": [{"name": "Child Name"}]},
                required_actions=[],
                do_not_inform_family=False,
                restricted=restricted,
                owner_id=org.owner_id,
                team_id=org.team_id,
                outcome=None,
                discussions=[],
                last_seq=0,
                created_at=T0,
                updated_at=T0,
                version=1,
            )
            .returning(cases.c.id)
        ).scalar_one()
    return case_id


def add_deadline(
    sf: SessionFactory,
    case_id: int,
    due_date: date,
    *,
    kind: str = "referral_decision",
    status: str = "open",
) -> int:
    due_at = datetime(due_date.year, due_date.month, due_date.day, tzinfo=UTC) + timedelta(days=1)
    with sf.begin() as s:
        did: int = s.execute(
            insert(deadlines)
            .values(
                case_id=case_id,
                kind=kind,
                anchor_at=T0,
                due_date=due_date,
                due_at=due_at,
                status=status,
                calendar_version="test",
                policy_name="england-2023",
            )
            .returning(deadlines.c.id)
        ).scalar_one()
    return did


def add_alert(
    sf: SessionFactory,
    deadline_id: int,
    case_id: int,
    level: str,
    role: str = "owner",
    recipient_user_id: int | None = None,
    *,
    created_at: datetime = T0,
) -> int:
    with sf.begin() as s:
        aid: int = s.execute(
            insert(alerts)
            .values(
                deadline_id=deadline_id,
                case_id=case_id,
                level=level,
                recipient_role=role,
                recipient_user_id=recipient_user_id,
                created_at=created_at,
                due_at=created_at,
            )
            .returning(alerts.c.id)
        ).scalar_one()
    return aid
