"""The organisation: teams, users and who manages whom (the people alerts and escalations go
to, and whose roles decide what they may see)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calendars import (
    Region,
    to_utc,
)
from workflows.accounts import insert_token, normalise_email
from workflows.errors import InvalidRecord, TransitionRefused
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.tables import (
    USER_ROLES,
    teams,
    users,
)

__all__ = [
    "TeamRecord",
    "UserRecord",
    "check_users",
    "count_active",
    "create_team",
    "create_user",
    "list_teams",
    "list_users",
    "role_of",
    "set_team_managers",
    "team_id_of",
    "user_id_of",
]


# -- org model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRecord:
    id: int
    name: str
    manager_id: int | None
    head_of_service_id: int | None
    region: str | None = None
    """The team's bank-holiday region; None: the service's."""


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    email: str
    role: str
    team_id: int | None
    active: bool
    created_at: datetime


def check_users(session: Session, user_ids: Iterable[int | None]) -> None:
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return
    found = set(session.execute(select(users.c.id).where(users.c.id.in_(wanted))).scalars())
    missing = sorted(wanted - found)
    if missing:
        raise InvalidRecord(f"no user with id {', '.join(map(str, missing))}")


def create_team(
    sf: SessionFactory,
    *,
    name: str,
    manager_id: int | None = None,
    head_of_service_id: int | None = None,
    region: str | None = None,
) -> int:
    """A new team; `region` is its bank-holiday region (None: the service's), which its
    morning digest follows."""
    if not name.strip():
        raise InvalidRecord("team name: must not be empty")
    if region is not None:
        try:
            region = Region.parse(region).value
        except ValueError as exc:
            raise InvalidRecord(f"team region: {exc}") from None
    try:
        with sf.begin() as session:
            check_users(session, (manager_id, head_of_service_id))
            team_id: int = session.execute(
                insert(teams)
                .values(
                    name=name,
                    manager_id=manager_id,
                    head_of_service_id=head_of_service_id,
                    region=region,
                )
                .returning(teams.c.id)
            ).scalar_one()
    except IntegrityError:
        raise InvalidRecord(f"team name {name!r} is already taken") from None
    return team_id


def set_team_managers(
    sf: SessionFactory,
    team_id: int,
    *,
    manager_id: int | None,
    head_of_service_id: int | None,
) -> None:
    """Who gets a team's escalated alerts: its manager and head of service."""
    with sf.begin() as session:
        check_users(session, (manager_id, head_of_service_id))
        result = session.execute(
            update(teams)
            .where(teams.c.id == team_id)
            .values(manager_id=manager_id, head_of_service_id=head_of_service_id)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidRecord(f"no team with id {team_id}")


def create_user(
    sf: SessionFactory,
    *,
    username: str,
    display_name: str,
    email: str,
    role: str,
    at: datetime,
    team_id: int | None = None,
    password_hash: str | None = None,
    api_token_hash: str | None = None,
    active: bool = True,
) -> int:
    """A user. `email` must be an address (email-validator's syntax check; stored normalised);
    `api_token_hash`, when given, is the SHA-256 of a first API token (named `token`)."""
    if role not in USER_ROLES:
        raise InvalidRecord(f"role {role!r}: expected one of {', '.join(USER_ROLES)}")
    for field_name, value in (("username", username), ("email", email)):
        if not value.strip():
            raise InvalidRecord(f"{field_name}: must not be empty")
    if len(username) > 100 or not username.isprintable() or username != username.strip():
        raise InvalidRecord("username: at most 100 printable characters, no spaces at either end")
    email = normalise_email(email)
    try:
        with sf.begin() as session:
            if (
                team_id is not None
                and session.execute(select(teams.c.id).where(teams.c.id == team_id)).first() is None
            ):
                raise InvalidRecord(f"no team with id {team_id}")
            user_id: int = session.execute(
                insert(users)
                .values(
                    username=username,
                    display_name=display_name or username,
                    email=email,
                    role=role,
                    team_id=team_id,
                    password_hash=password_hash,
                    active=active,
                    created_at=to_utc(at),
                )
                .returning(users.c.id)
            ).scalar_one()
            if api_token_hash is not None:
                insert_token(
                    session, user_id=user_id, name="token", token_hash=api_token_hash, at=at
                )
    except IntegrityError:
        raise InvalidRecord(f"username {username!r} (or its API token) is already taken") from None
    return user_id


def list_users(
    sf: SessionFactory,
    *,
    team_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> list[UserRecord]:
    query = select(
        users.c.id,
        users.c.username,
        users.c.display_name,
        users.c.email,
        users.c.role,
        users.c.team_id,
        users.c.active,
        users.c.created_at,
    ).order_by(users.c.username)
    if team_id is not None:
        query = query.where(users.c.team_id == team_id)
    if role is not None:
        query = query.where(users.c.role == role)
    if active is not None:
        query = query.where(users.c.active == active)
    with reading(sf) as session:
        return [UserRecord(**row._mapping) for row in session.execute(query)]


def list_teams(sf: SessionFactory) -> list[TeamRecord]:
    with reading(sf) as session:
        return [
            TeamRecord(**row._mapping)
            for row in session.execute(select(teams).order_by(teams.c.id))
        ]


def user_id_of(session: Session, username: str) -> int:
    """The id of the active user `username`; a refusal naming them when there is none (a case
    is allocated to someone who can work it)."""
    row = session.execute(
        select(users.c.id, users.c.active).where(users.c.username == username)
    ).first()
    if row is None or not row.active:
        raise TransitionRefused(f"there is no active user called {username!r}")
    return int(row.id)


def team_id_of(session: Session, name: str) -> int:
    """The id of the team called `name` (or whose id is `name`); a refusal when there is none."""
    query = select(teams.c.id).where(teams.c.name == name)
    if name.isdigit() and len(name) < 15:
        query = select(teams.c.id).where((teams.c.name == name) | (teams.c.id == int(name)))
    row = session.execute(query).first()
    if row is None:
        raise TransitionRefused(f"there is no team called {name!r}")
    return int(row.id)


def role_of(session: Session, user_id: int | None) -> str | None:
    """The role of user `user_id` (None for no user)."""
    if user_id is None:
        return None
    role: str | None = session.execute(
        select(users.c.role).where(users.c.id == user_id)
    ).scalar_one_or_none()
    return role


def count_active(session: Session, role: str) -> int:
    """How many active users have `role`."""
    return int(
        session.execute(
            select(func.count()).select_from(users).where(users.c.role == role, users.c.active)
        ).scalar_one()
    )


def team_regions(sf: SessionFactory) -> set[str | None]:
    """The regions teams are in (None: a team that follows the service's region)."""
    with reading(sf) as session:
        return set(session.execute(select(teams.c.region).distinct()).scalars())
