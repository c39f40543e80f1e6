"""Read-only queries for the web app and API: caseloads, case pages, the manager dashboard,
timeliness, the view audit and sign-in look-ups.

Nothing here writes (changes go through the use-case modules: `workflows.casework`,
`workflows.organisation`, ...). Each query selects only the columns it shows and is shaped for the
indexes of `workflows.persistence.tables` (checked with EXPLAIN on SQLite and PostgreSQL; see
`bench/web.py`). Times are parameters: nothing reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, case, func, or_, select, union_all
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from calendars import Region
from workflows.persistence.engine import reading, serial_reading
from workflows.persistence.tables import (
    alerts,
    api_tokens,
    calendar_days,
    case_events,
    case_managers,
    case_views,
    cases,
    deadlines,
    subjects,
    teams,
    users,
)

__all__ = [
    "AlertRow",
    "AlertsPage",
    "CaseAccess",
    "CaseloadPage",
    "CaseloadRow",
    "Dashboard",
    "DashboardItem",
    "EventRow",
    "Page",
    "SubjectRow",
    "TeamRow",
    "TimelinessWeek",
    "UserGrants",
    "UserNames",
    "UserRow",
    "ViewRow",
    "WorkerCounts",
    "alerts_of_user",
    "calendar_days_of_region",
    "case_access",
    "case_accesses",
    "case_events_of",
    "case_subjects",
    "caseload",
    "caseload_page",
    "dashboard",
    "list_teams",
    "list_users_brief",
    "managed_team_ids",
    "open_deadlines_of_cases",
    "recent_case_views",
    "team_name",
    "team_names",
    "timeliness",
    "union_of_parts",
    "user_by_id",
    "user_by_token_hash",
    "user_by_username",
    "user_grants_of",
    "user_grants_select",
    "user_names",
    "user_with_grants",
    "visible_cases",
    "visible_parts",
]

RowT = TypeVar("RowT")

SessionFactory = sessionmaker[Session]


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    password_hash: str | None
    """Read only when a password is checked (`with_password_hash=True`); None otherwise."""
    active: bool


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    manager_id: int | None
    head_of_service_id: int | None


@dataclass(frozen=True)
class CaseAccess:
    """What access decisions need about a case, without its personal data."""

    id: int
    reference: str
    team_id: int | None
    owner_id: int | None
    restricted: bool
    region: Region
    """The case's bank-holiday region (it never changes): the calendar its events are judged on."""
    manager_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class CaseloadRow:
    id: int
    reference: str
    state: str
    allegation_state: str | None
    restricted: bool
    owner_id: int | None
    owner_name: str | None
    next_kind: str | None
    next_due_date: date | None
    next_due_at: datetime | None
    version: int


@dataclass(frozen=True)
class EventRow:
    seq: int
    at: datetime
    actor: str
    kind: str
    event: str | None
    from_state: str | None
    to_state: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class SubjectRow:
    role: str
    name: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class DashboardItem:
    deadline_id: int
    case_id: int
    reference: str
    kind: str
    due_date: date
    due_at: datetime
    owner_id: int | None
    owner_name: str | None


@dataclass(frozen=True)
class TimelinessWeek:
    week_start: date
    kind: str
    met: int
    missed: int

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else 100.0 * self.met / self.total


@dataclass(frozen=True)
class ViewRow:
    at: datetime
    username: str
    case_id: int
    reference: str


_USER_COLS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.role,
    users.c.team_id,
    users.c.active,
)
"""A user as pages, sessions and grants read them: without the password hash, which only the
look-ups that check a password ask for (`with_password_hash=True`)."""


def _user(row: Any) -> UserRow:
    return UserRow(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        team_id=row.team_id,
        password_hash=row._mapping.get("password_hash"),
        active=bool(row.active),
    )


def _user_cols(with_password_hash: bool) -> tuple[Any, ...]:
    return (*_USER_COLS, users.c.password_hash) if with_password_hash else _USER_COLS


def user_by_username(
    sf: SessionFactory, username: str, *, with_password_hash: bool = False
) -> UserRow | None:
    """The user with this username; its password hash only when asked (sign-in checks it)."""
    with reading(sf) as s:
        row = s.execute(
            select(*_user_cols(with_password_hash)).where(users.c.username == username)
        ).first()
    return None if row is None else _user(row)


def user_by_id(
    sf: SessionFactory, user_id: int, *, with_password_hash: bool = False
) -> UserRow | None:
    """The user with this id; its password hash only when asked (a password change checks the
    current one)."""
    with reading(sf) as s:
        row = s.execute(
            select(*_user_cols(with_password_hash)).where(users.c.id == user_id)
        ).first()
    return None if row is None else _user(row)


def user_by_token_hash(sf: SessionFactory, token_hash: str) -> UserRow | None:
    """The user of an unrevoked API token (by its SHA-256), active or not."""
    with reading(sf) as s:
        row = s.execute(
            select(*_USER_COLS)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        ).first()
    return None if row is None else _user(row)


def list_users_brief(sf: SessionFactory) -> list[UserRow]:
    with reading(sf) as s:
        rows = s.execute(select(*_USER_COLS).order_by(users.c.id)).all()
    return [_user(r) for r in rows]


_IDS_PER_QUERY = 5000
"""Ids sent in one `IN (...)` list (SQLite allows 32,766 parameters in one statement)."""


@dataclass(frozen=True)
class UserNames:
    """The display names of some users, by id and by username."""

    by_id: Mapping[int, str]
    by_username: Mapping[str, str]


def user_names(
    sf: SessionFactory, *, ids: Iterable[int] = (), usernames: Iterable[str] = ()
) -> UserNames:
    """The display names of the users with these ids or usernames (one statement, the names
    only), for a page that names a few people without reading every account."""
    want_ids = sorted(set(ids))
    want_names = sorted(set(usernames))
    conditions = []
    if want_ids:
        conditions.append(users.c.id.in_(want_ids))
    if want_names:
        conditions.append(users.c.username.in_(want_names))
    if not conditions:
        return UserNames({}, {})
    with reading(sf) as s:
        rows = s.execute(
            select(users.c.id, users.c.username, users.c.display_name).where(or_(*conditions))
        ).all()
    return UserNames(
        {int(r.id): r.display_name for r in rows}, {r.username: r.display_name for r in rows}
    )


def team_name(sf: SessionFactory, team_id: int | None) -> str | None:
    """The name of one team (None for none)."""
    return None if team_id is None else team_names(sf, [team_id]).get(team_id)


def team_names(sf: SessionFactory, team_ids: Iterable[int]) -> dict[int, str]:
    """The names of these teams, by id (the ones that exist)."""
    wanted = sorted(set(team_ids))
    if not wanted:
        return {}
    with reading(sf) as s:
        rows = s.execute(select(teams.c.id, teams.c.name).where(teams.c.id.in_(wanted))).all()
    return {int(r.id): r.name for r in rows}


def list_teams(sf: SessionFactory) -> list[TeamRow]:
    with reading(sf) as s:
        rows = s.execute(
            select(
                teams.c.id, teams.c.name, teams.c.manager_id, teams.c.head_of_service_id
            ).order_by(teams.c.name)
        ).all()
    return [TeamRow(r.id, r.name, r.manager_id, r.head_of_service_id) for r in rows]


def managed_team_ids(sf: SessionFactory, user_id: int) -> frozenset[int]:
    """Teams whose manager or head of service the user is."""
    with reading(sf) as s:
        rows = s.execute(
            select(teams.c.id).where(
                or_(teams.c.manager_id == user_id, teams.c.head_of_service_id == user_id)
            )
        ).all()
    return frozenset(r.id for r in rows)


@dataclass(frozen=True)
class UserGrants:
    """A user and the teams they manage or head (their visibility grants beyond their own team)."""

    user: UserRow
    managed_team_ids: frozenset[int]


def user_with_grants(
    sf: SessionFactory, *, user_id: int | None = None, token_hash: str | None = None
) -> UserGrants | None:
    """The user with this id (or unrevoked API token hash) and the teams they manage, in ONE
    query by id (an outer join to `teams`, one row per managed team): every signed-in request
    starts with it."""
    if (user_id is None) == (token_hash is None):
        raise ValueError("give exactly one of user_id and token_hash")
    if token_hash is not None:
        found = user_by_token_hash(sf, token_hash)
        if found is None:
            return None
        user_id = found.id
    with reading(sf) as s:
        rows = s.execute(user_grants_select().where(users.c.id == user_id)).all()
    return user_grants_of(rows)


def user_grants_select(*columns: Any) -> Select[Any]:
    """Users with the teams they manage or head (an outer join to `teams`: one row per managed
    team), and `columns` of tables the caller joins (as `accounts` joins a session)."""
    return (
        select(*_USER_COLS, teams.c.id.label("managed_id"), *columns)
        .select_from(users)
        .outerjoin(
            teams,
            or_(teams.c.manager_id == users.c.id, teams.c.head_of_service_id == users.c.id),
        )
    )


def user_grants_of(rows: Sequence[Any]) -> UserGrants | None:
    """The user and grants of the rows of `user_grants_select` for one user (None for none)."""
    if not rows:
        return None
    managed = frozenset(r.managed_id for r in rows if r.managed_id is not None)
    return UserGrants(_user(rows[0]), managed)


def case_access(sf: SessionFactory, case_id: int) -> CaseAccess | None:
    """The facts that decide who may read and change the case; None when there is no such case."""
    return case_accesses(sf, [case_id]).get(case_id)


def case_accesses(sf: SessionFactory, case_ids: Iterable[int]) -> dict[int, CaseAccess]:
    """`case_access` of many cases in two statements per 5,000 ids (not two per case): the cases
    that exist, by id."""
    wanted = sorted(set(case_ids))
    found: dict[int, CaseAccess] = {}
    with reading(sf) as s:
        for first in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[first : first + _IDS_PER_QUERY]
            managers: dict[int, set[int]] = {}
            for m in s.execute(
                select(case_managers.c.case_id, case_managers.c.user_id).where(
                    case_managers.c.case_id.in_(chunk)
                )
            ):
                managers.setdefault(int(m.case_id), set()).add(int(m.user_id))
            for row in s.execute(
                select(
                    cases.c.id,
                    cases.c.reference,
                    cases.c.team_id,
                    cases.c.owner_id,
                    cases.c.restricted,
                    cases.c.region,
                ).where(cases.c.id.in_(chunk))
            ):
                found[int(row.id)] = CaseAccess(
                    id=row.id,
                    reference=row.reference,
                    team_id=row.team_id,
                    owner_id=row.owner_id,
                    restricted=bool(row.restricted),
                    region=Region(row.region),
                    manager_ids=frozenset(managers.get(int(row.id), ())),
                )
    return found


@dataclass(frozen=True)
class Page(Generic[RowT]):
    """One page of a paged list: its rows, the number of rows on every page, and where it is."""

    rows: list[RowT]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, so an empty list has a page 1)."""
        return max(1, -(-self.total // self.per_page))


CaseloadPage = Page[CaseloadRow]


def caseload(
    sf: SessionFactory,
    *,
    owner_id: int | None = None,
    team_ids: Iterable[int] | None = None,
    restricted_all: bool = False,
    restricted_manager_id: int | None = None,
    open_only: bool = True,
    limit: int = 500,
) -> list[CaseloadRow]:
    """Cases visible under the given filter with their next open deadline, most urgent first
    (cases with no open deadline last); the first `limit` of them.

    Visibility is the caller's decision, expressed as: `team_ids` (unrestricted cases of those
    teams), `restricted_all` (every restricted case: LADOs) and `restricted_manager_id`
    (restricted cases naming that manager), OR-ed together; `owner_id` then narrows them to the
    cases that user owns (my caseload).
    """
    return caseload_page(
        sf,
        owner_id=owner_id,
        team_ids=team_ids,
        restricted_all=restricted_all,
        restricted_manager_id=restricted_manager_id,
        open_only=open_only,
        page=1,
        per_page=limit,
    ).rows


def caseload_page(
    sf: SessionFactory,
    *,
    page: int,
    per_page: int,
    owner_id: int | None = None,
    team_ids: Iterable[int] | None = None,
    restricted_all: bool = False,
    restricted_manager_id: int | None = None,
    open_only: bool = True,
) -> CaseloadPage:
    """Page `page` (from 1) of `caseload`, `per_page` rows, with the total, in ONE query: the
    urgency order and the total (`count(*) OVER ()`) are computed in SQL before LIMIT/OFFSET, and
    only the page's rows get their owner's name and next deadline's kind. A page past the last
    has no rows (the total says how many pages there are)."""
    if page < 1 or per_page < 1:
        raise ValueError(f"page {page} and per_page {per_page} must be at least 1")
    visible = visible_cases(
        sorted(set(team_ids or ())),
        restricted_all=restricted_all,
        manager_id=restricted_manager_id,
    )
    if visible is None:
        return CaseloadPage([], 0, page, per_page)
    where: ColumnElement[bool] = visible
    if owner_id is not None:
        where = and_(cases.c.owner_id == owner_id, where)
    if open_only:
        where = and_(where, cases.c.state != "closed")
    # the next due instant per case as a correlated look-up on ix_deadlines_case_id: one index
    # probe per visible case (a GROUP BY over a semi-join took 20 ms for a 2,000-case team)
    next_due = (
        select(func.min(deadlines.c.due_at))
        .where(deadlines.c.case_id == cases.c.id, deadlines.c.status == "open")
        .scalar_subquery()
        .label("next_due_at")
    )
    inner = (
        select(
            cases.c.id,
            cases.c.reference,
            cases.c.state,
            cases.c.allegation_state,
            cases.c.restricted,
            cases.c.owner_id,
            cases.c.version,
            next_due,
            func.count().over().label("total"),
        )
        .where(where)
        .order_by(next_due.asc().nulls_last(), cases.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery()
    )
    # the page's rows only: which deadline is the next one (its kind and due date)
    first_open = (
        select(deadlines.c.kind, deadlines.c.due_date)
        .where(deadlines.c.case_id == inner.c.id, deadlines.c.status == "open")
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(1)
    )
    stmt = (
        select(
            inner,
            users.c.display_name.label("owner_name"),
            first_open.with_only_columns(deadlines.c.kind).scalar_subquery().label("next_kind"),
            first_open.with_only_columns(deadlines.c.due_date)
            .scalar_subquery()
            .label("next_due_date"),
        )
        .outerjoin(users, users.c.id == inner.c.owner_id)
        .order_by(inner.c.next_due_at.asc().nulls_last(), inner.c.id)
    )
    with reading(sf) as s:
        rows = s.execute(stmt).all()
    if rows:
        total = int(rows[0].total)
    elif page == 1:
        total = 0
    else:  # past the last page: count what there is, so the caller can say how many pages
        with reading(sf) as s:
            total = int(
                s.execute(select(func.count()).select_from(cases).where(where)).scalar_one()
            )
    out = [
        CaseloadRow(
            id=r.id,
            reference=r.reference,
            state=r.state,
            allegation_state=r.allegation_state,
            restricted=bool(r.restricted),
            owner_id=r.owner_id,
            owner_name=r.owner_name,
            next_kind=r.next_kind,
            next_due_date=r.next_due_date,
            next_due_at=r.next_due_at,
            version=r.version,
        )
        for r in rows
    ]
    return CaseloadPage(out, total, page, per_page)


def open_deadlines_of_cases(sf: SessionFactory, case_ids: Sequence[int]) -> list[DashboardItem]:
    """Open deadlines of the given cases, soonest first."""
    if not case_ids:
        return []
    stmt = (
        select(
            deadlines.c.id,
            deadlines.c.case_id,
            cases.c.reference,
            deadlines.c.kind,
            deadlines.c.due_date,
            deadlines.c.due_at,
            cases.c.owner_id,
        )
        .select_from(deadlines)
        .join(cases, cases.c.id == deadlines.c.case_id)
        .where(deadlines.c.case_id.in_(list(case_ids)), deadlines.c.status == "open")
        .order_by(deadlines.c.due_at, deadlines.c.id)
    )
    with reading(sf) as s:
        rows = s.execute(stmt).all()
    return [
        DashboardItem(r.id, r.case_id, r.reference, r.kind, r.due_date, r.due_at, r.owner_id, None)
        for r in rows
    ]


def case_events_of(sf: SessionFactory, case_id: int) -> list[EventRow]:
    with reading(sf) as s:
        rows = s.execute(
            select(
                case_events.c.seq,
                case_events.c.at,
                case_events.c.actor,
                case_events.c.kind,
                case_events.c.event,
                case_events.c.from_state,
                case_events.c.to_state,
                case_events.c.data,
            )
            .where(case_events.c.case_id == case_id)
            .order_by(case_events.c.seq)
        ).all()
    return [
        EventRow(r.seq, r.at, r.actor, r.kind, r.event, r.from_state, r.to_state, r.data or {})
        for r in rows
    ]


def case_subjects(sf: SessionFactory, case_id: int) -> list[SubjectRow]:
    with reading(sf) as s:
        rows = s.execute(
            select(subjects.c.role, subjects.c.name, subjects.c.details)
            .where(subjects.c.case_id == case_id)
            .order_by(subjects.c.id)
        ).all()
    return [SubjectRow(r.role, r.name, r.details or {}) for r in rows]


@dataclass(frozen=True)
class WorkerCounts:
    owner_id: int | None
    owner_name: str | None
    overdue: int
    due_today: int
    due_soon: int


@dataclass(frozen=True)
class Dashboard:
    """The open deadlines of a manager's teams: counts per worker and the first items of each
    section (overdue, due today, due soon), oldest first."""

    workers: list[WorkerCounts]
    overdue: list[DashboardItem]
    due_today: list[DashboardItem]
    due_soon: list[DashboardItem]
    totals: tuple[int, int, int]


def visible_cases(
    team_list: Sequence[int], *, restricted_all: bool = False, manager_id: int | None = None
) -> ColumnElement[bool] | None:
    """The condition on `cases` for the cases visible through these grants. One grant is a plain
    index-driven condition; several are a UNION ALL of index-driven id sets (an OR across them made
    PostgreSQL scan every case: 21 ms against 2 ms with 100,000 cases)."""
    parts = visible_parts(team_list, restricted_all=restricted_all, manager_id=manager_id)
    if not parts:
        return None
    if len(parts) == 1 and team_list:
        return parts[0]
    ids = [select(cases.c.id).where(p) for p in parts]
    return cases.c.id.in_(ids[0] if len(ids) == 1 else union_all(*ids))


def visible_parts(
    team_list: Sequence[int], *, restricted_all: bool = False, manager_id: int | None = None
) -> list[ColumnElement[bool]]:
    """The grants of `visible_cases` as disjoint conditions on `cases`, each driven by an index
    (the team's cases; the restricted ones; those naming the manager). A statement run once per
    part and joined by `union_of_parts` reads each case once: filtered by `cases.id IN (a UNION
    ALL of the parts)`, PostgreSQL hashes the ids and then reads every case again (2,000 probes
    for a team, half of the dashboard's late-recording count)."""
    parts: list[ColumnElement[bool]] = []
    if team_list:
        parts.append(and_(cases.c.team_id.in_(list(team_list)), cases.c.restricted.is_(False)))
    if restricted_all:
        parts.append(cases.c.restricted.is_(True))
    elif manager_id is not None:
        named = select(case_managers.c.case_id).where(case_managers.c.user_id == manager_id)
        parts.append(and_(cases.c.restricted.is_(True), cases.c.id.in_(named)))
    return parts


def union_of_parts(stmt: Select[Any], parts: Sequence[ColumnElement[bool]]) -> Any:
    """`stmt` restricted to each of `parts` (`visible_parts`), as one statement: the parts are
    disjoint, so a UNION ALL of them holds each row once."""
    if len(parts) == 1:
        return stmt.where(parts[0])
    return union_all(*(stmt.where(p) for p in parts))


def dashboard(
    sf: SessionFactory,
    *,
    team_ids: Iterable[int],
    now: datetime,
    today: date,
    soon_until: date,
    manager_id: int | None = None,
    items_per_section: int = 50,
) -> Dashboard:
    """Overdue (`now >= due_at`), due today (due date `today`, not yet overdue) and due soon (due
    after `today`, up to `soon_until`) open deadlines of the teams' cases, counted per worker in
    SQL; restricted cases only where `manager_id` is named on them."""
    team_list = sorted(set(team_ids))
    if not team_list:
        return Dashboard([], [], [], [], (0, 0, 0))
    # the visible cases as a UNION ALL of disjoint index-only branches (unrestricted cases of the
    # teams on ix_cases_team_id_restricted; restricted ones naming the manager), joined to their
    # open deadlines on the partial ix_deadlines_open_case_id_due_at: no heap read of cases or
    # deadlines (an IN over the same union read every case twice: 8 ms against 3 ms for a
    # 2,000-case team in PostgreSQL, see docs/benchmarks.md, Web)
    branches: list[Any] = [
        select(cases.c.id, cases.c.reference, cases.c.owner_id).where(
            cases.c.team_id.in_(team_list), cases.c.restricted.is_(False)
        )
    ]
    if manager_id is not None:
        # an IN, not a join: with a join SQLite drove this branch from every open deadline
        named = select(case_managers.c.case_id).where(case_managers.c.user_id == manager_id)
        branches.append(
            select(cases.c.id, cases.c.reference, cases.c.owner_id).where(
                cases.c.id.in_(named), cases.c.restricted.is_(True)
            )
        )
    visible = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("visible")
    section = case(
        (deadlines.c.due_at <= now, 0),  # overdue
        (deadlines.c.due_date <= today, 1),  # due today, not yet overdue
        else_=2,  # due soon
    ).label("section")
    # ONE query and one pass over the teams' open deadlines: each row carries its section, the
    # count of its worker's deadlines in that section, its rank in the section (the first
    # `items_per_section` are listed) and its rank in its worker's section (the first carries the
    # worker's count even when none of theirs is listed)
    due = (
        select(
            deadlines.c.id,
            deadlines.c.case_id,
            visible.c.reference,
            deadlines.c.kind,
            deadlines.c.due_date,
            deadlines.c.due_at,
            visible.c.owner_id,
            section,
        )
        .select_from(visible)
        .join(deadlines, deadlines.c.case_id == visible.c.id)
        .where(deadlines.c.status == "open", deadlines.c.due_date <= soon_until)
        .subquery()
    )
    ranked = select(
        due,
        func.count().over(partition_by=(due.c.owner_id, due.c.section)).label("n"),
        func.row_number()
        .over(partition_by=due.c.section, order_by=(due.c.due_at, due.c.id))
        .label("rank"),
        func.row_number()
        .over(partition_by=(due.c.owner_id, due.c.section), order_by=(due.c.due_at, due.c.id))
        .label("owner_rank"),
    ).subquery()
    stmt = (
        select(ranked, users.c.display_name.label("owner_name"))
        .outerjoin(users, users.c.id == ranked.c.owner_id)
        .where(or_(ranked.c.rank <= items_per_section, ranked.c.owner_rank == 1))
        .order_by(ranked.c.section, ranked.c.rank)
    )
    with serial_reading(sf) as s:
        rows = s.execute(stmt).all()
    counts: dict[int | None, list[int]] = {}
    names: dict[int | None, str | None] = {}
    listed: list[list[DashboardItem]] = [[], [], []]
    for r in rows:
        names[r.owner_id] = r.owner_name
        if r.owner_rank == 1:
            counts.setdefault(r.owner_id, [0, 0, 0])[r.section] = int(r.n)
        if r.rank <= items_per_section:
            listed[r.section].append(
                DashboardItem(
                    r.id,
                    r.case_id,
                    r.reference,
                    r.kind,
                    r.due_date,
                    r.due_at,
                    r.owner_id,
                    r.owner_name,
                )
            )
    workers = sorted(
        (WorkerCounts(owner, names.get(owner), *n) for owner, n in counts.items()),
        key=lambda w: (-w.overdue, -w.due_today, w.owner_name or ""),
    )
    totals = (
        sum(w.overdue for w in workers),
        sum(w.due_today for w in workers),
        sum(w.due_soon for w in workers),
    )
    return Dashboard(workers, listed[0], listed[1], listed[2], totals)


def timeliness(
    sf: SessionFactory,
    *,
    team_ids: Iterable[int],
    kinds: Sequence[str],
    first_week: date,
    weeks: int,
    today: date,
) -> list[TimelinessWeek]:
    """Per ISO week (starting Monday `first_week`) and kind: deadlines of the teams' cases that
    were due in that week and met on time (`met`) or late (`missed`, or still open after their
    due date, judged on `today`). Weeks with none are included with zeros."""
    team_list = sorted(set(team_ids))
    last = first_week + timedelta(weeks=weeks)
    counts: dict[tuple[date, str], list[int]] = {
        (first_week + timedelta(weeks=w), k): [0, 0] for w in range(weeks) for k in kinds
    }
    if team_list:
        # counted in SQL per (kind, due date, status): a few dozen rows whatever the team's size,
        # each case probed index-only on ix_deadlines_case_id_kind_due_date
        stmt = (
            select(
                deadlines.c.kind,
                deadlines.c.due_date,
                deadlines.c.status,
                func.count().label("n"),
            )
            .select_from(deadlines)
            .join(cases, cases.c.id == deadlines.c.case_id)
            .where(
                cases.c.team_id.in_(team_list),
                deadlines.c.kind.in_(list(kinds)),
                deadlines.c.due_date >= first_week,
                deadlines.c.due_date < last,
                deadlines.c.status != "cancelled",
            )
            .group_by(deadlines.c.kind, deadlines.c.due_date, deadlines.c.status)
        )
        with serial_reading(sf) as s:
            for r in s.execute(stmt):
                week = first_week + timedelta(weeks=(r.due_date - first_week).days // 7)
                slot = counts[(week, r.kind)]
                if r.status == "met":
                    slot[0] += r.n
                elif r.status == "missed" or r.due_date < today:
                    slot[1] += r.n
    return [
        TimelinessWeek(week, kind, met, missed)
        for (week, kind), (met, missed) in sorted(counts.items())
    ]


def recent_case_views(sf: SessionFactory, *, limit: int = 200) -> list[ViewRow]:
    """The most recent views of cases: who, when, which case."""
    with reading(sf) as s:
        rows = s.execute(
            select(case_views.c.at, users.c.username, case_views.c.case_id, cases.c.reference)
            .select_from(case_views)
            .join(users, users.c.id == case_views.c.user_id)
            .join(cases, cases.c.id == case_views.c.case_id)
            .order_by(case_views.c.at.desc(), case_views.c.id.desc())
            .limit(limit)
        ).all()
    return [ViewRow(r.at, r.username, r.case_id, r.reference) for r in rows]


def calendar_days_of_region(sf: SessionFactory, region: str) -> list[tuple[date, str, str]]:
    """The one-off and closure days an administrator added for a region: (date, name, kind)."""
    with reading(sf) as s:
        rows = s.execute(
            select(calendar_days.c.date, calendar_days.c.name, calendar_days.c.kind)
            .where(calendar_days.c.region == region)
            .order_by(calendar_days.c.date)
        ).all()
    return [(r.date, r.name, r.kind) for r in rows]


@dataclass(frozen=True)
class AlertRow:
    """An alert addressed to a user, with what the in-app list shows of it."""

    id: int
    case_id: int
    reference: str
    deadline_kind: str
    level: str
    due_date: date
    due_at: datetime
    created_at: datetime


AlertsPage = Page[AlertRow]


def alerts_of_user(
    sf: SessionFactory,
    *,
    user_id: int,
    page: int,
    per_page: int,
    team_ids: Iterable[int] | None = None,
    restricted_all: bool = False,
    restricted_manager_id: int | None = None,
) -> AlertsPage:
    """Page `page` (from 1) of the alerts addressed to `user_id` (`recipient_user_id`), newest
    first, with the total, in ONE query (`count(*) OVER ()` before LIMIT/OFFSET). Only alerts of
    cases the user may still see: the visibility grants are `caseload`'s (`team_ids`,
    `restricted_all`, `restricted_manager_id`). A page past the last has no rows."""
    if page < 1 or per_page < 1:
        raise ValueError(f"page {page} and per_page {per_page} must be at least 1")
    visible = visible_cases(
        sorted(set(team_ids or ())),
        restricted_all=restricted_all,
        manager_id=restricted_manager_id,
    )
    if visible is None:
        return AlertsPage([], 0, page, per_page)
    where = and_(alerts.c.recipient_user_id == user_id, visible)
    stmt = (
        select(
            alerts.c.id,
            alerts.c.case_id,
            cases.c.reference,
            deadlines.c.kind,
            alerts.c.level,
            deadlines.c.due_date,
            alerts.c.due_at,
            alerts.c.created_at,
            func.count().over().label("total"),
        )
        .select_from(alerts)
        .join(cases, cases.c.id == alerts.c.case_id)
        .join(deadlines, deadlines.c.id == alerts.c.deadline_id)
        .where(where)
        .order_by(alerts.c.created_at.desc(), alerts.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    with reading(sf) as s:
        rows = s.execute(stmt).all()
        if rows:
            total = int(rows[0].total)
        elif page == 1:
            total = 0
        else:  # past the last page: count what there is, so the caller can say how many pages
            total = int(
                s.execute(
                    select(func.count())
                    .select_from(alerts)
                    .join(cases, cases.c.id == alerts.c.case_id)
                    .where(where)
                ).scalar_one()
            )
    out = [
        AlertRow(
            id=r.id,
            case_id=r.case_id,
            reference=r.reference,
            deadline_kind=r.kind,
            level=r.level,
            due_date=r.due_date,
            due_at=r.due_at,
            created_at=r.created_at,
        )
        for r in rows
    ]
    return AlertsPage(out, total, page, per_page)
