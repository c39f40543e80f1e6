"""The audit trail (DESIGN 9): who did what, when, to which case.

`audit_events` is append-only: a trigger refuses UPDATE and DELETE on both databases (migration
0100), as on `case_views` and `case_events`. An entry holds who (`user_id`, None for the command
line or an anonymous visitor), when, what kind (`AuditKind`), the case id where there is one and
a short `detail` without personal data (ids, kinds, reasons; never a child's name, a typed
username, a client address or a query string). Other modules record through one function:

    record_audit(sf, kind=AuditKind.EXPORT, at=now, user_id=viewer.id, detail="annex-a 2026")
    audit_in(session, kind=..., at=..., user_id=...)    # inside the caller's own transaction

Both refuse an unknown kind or an id out of range (ValueError). `record_case_view` writes the
view to `case_views` and to the trail in one transaction. `search_audit` is the auditor's page:
by user, case, kind and time range, newest first, paged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from calendars import to_utc
from workflows.persistence.engine import SessionFactory, reading
from workflows.persistence.tables import audit_events, case_views, cases, users
from workflows.queries import Page

__all__ = [
    "DETAIL_LENGTH",
    "MAX_ID",
    "AuditKind",
    "AuditPage",
    "AuditRow",
    "audit_in",
    "case_id_of",
    "record_audit",
    "record_case_view",
    "search_audit",
]

MAX_ID = 2**63 - 1
"""The largest id a BIGINT column holds: larger ids name nothing (a look-up answers 404)."""

DETAIL_LENGTH = 200


class AuditKind(StrEnum):
    """What an audit entry records. Add a kind here (no migration: the column is a string)."""

    CASE_VIEW = "case_view"
    REFUSED_LOOKUP = "refused_lookup"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    EXPORT = "export"
    SEARCH = "search"
    ACCOUNT_CHANGE = "account_change"
    CALENDAR_CHANGE = "calendar_change"


def _checked_id(name: str, value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_ID:
        raise ValueError(f"{name} {value}: out of range")
    return value


def _clean_detail(detail: str | None) -> str | None:
    """One line of at most DETAIL_LENGTH characters (a detail can never forge another line)."""
    if detail is None:
        return None
    text = "".join(c if c.isprintable() else " " for c in detail).strip()
    return text[:DETAIL_LENGTH] or None


def audit_in(
    session: Session,
    *,
    kind: AuditKind | str,
    at: datetime,
    user_id: int | None,
    case_id: int | None = None,
    detail: str | None = None,
) -> int:
    """Append an entry within `session`'s transaction; returns its id."""
    entry_id: int = session.execute(
        insert(audit_events)
        .values(
            at=to_utc(at),
            kind=AuditKind(kind).value,
            user_id=_checked_id("user_id", user_id),
            case_id=_checked_id("case_id", case_id),
            detail=_clean_detail(detail),
        )
        .returning(audit_events.c.id)
    ).scalar_one()
    return entry_id


def record_audit(
    sf: SessionFactory,
    *,
    kind: AuditKind | str,
    at: datetime,
    user_id: int | None,
    case_id: int | None = None,
    detail: str | None = None,
) -> int:
    """Append an entry to the audit trail in a transaction of its own; returns its id."""
    kind = AuditKind(kind)
    with sf.begin() as session:
        return audit_in(session, kind=kind, at=at, user_id=user_id, case_id=case_id, detail=detail)


def record_case_view(
    sf: SessionFactory, *, case_id: int, user_id: int, at: datetime, via: str
) -> None:
    """A case's facts were shown to `user_id` (`via`: "page", "api", ...): one row in
    `case_views` and one `case_view` entry, in one transaction."""
    with sf.begin() as session:
        session.execute(insert(case_views).values(case_id=case_id, user_id=user_id, at=to_utc(at)))
        audit_in(
            session, kind=AuditKind.CASE_VIEW, at=at, user_id=user_id, case_id=case_id, detail=via
        )


def case_id_of(sf: SessionFactory, text: str) -> int | None:
    """The id of the case named by its id ("12") or reference ("ESF-12"), or None."""
    text = text.strip()
    with reading(sf) as s:
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
        found = s.execute(select(cases.c.id).where(cases.c.reference == text)).scalar()
    return None if found is None else int(found)


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    kind: str
    user_id: int | None
    username: str | None
    case_id: int | None
    reference: str | None
    detail: str | None


AuditPage = Page[AuditRow]


def search_audit(
    sf: SessionFactory,
    *,
    page: int,
    per_page: int,
    user_id: int | None = None,
    case_id: int | None = None,
    kinds: Iterable[AuditKind | str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditPage:
    """Page `page` (from 1) of the entries matching every filter given, newest first, with the
    total. `since` is inclusive, `until` exclusive. A page past the last has no rows."""
    if page < 1 or per_page < 1:
        raise ValueError(f"page {page} and per_page {per_page} must be at least 1")
    where: list[ColumnElement[bool]] = []
    if user_id is not None:
        where.append(audit_events.c.user_id == _checked_id("user_id", user_id))
    if case_id is not None:
        where.append(audit_events.c.case_id == _checked_id("case_id", case_id))
    if kinds is not None:
        where.append(audit_events.c.kind.in_(sorted({AuditKind(k).value for k in kinds})))
    if since is not None:
        where.append(audit_events.c.at >= to_utc(since))
    if until is not None:
        where.append(audit_events.c.at < to_utc(until))
    condition = and_(True, *where)
    stmt = (
        select(
            audit_events.c.id,
            audit_events.c.at,
            audit_events.c.kind,
            audit_events.c.user_id,
            users.c.username,
            audit_events.c.case_id,
            cases.c.reference,
            audit_events.c.detail,
        )
        .select_from(audit_events)
        .outerjoin(users, users.c.id == audit_events.c.user_id)
        .outerjoin(cases, cases.c.id == audit_events.c.case_id)
        .where(condition)
        .order_by(audit_events.c.at.desc(), audit_events.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    with reading(sf) as s:
        rows = s.execute(stmt).all()
        total = int(
            s.execute(select(func.count()).select_from(audit_events).where(condition)).scalar_one()
        )
    return AuditPage(
        [
            AuditRow(
                id=r.id,
                at=r.at,
                kind=r.kind,
                user_id=r.user_id,
                username=r.username,
                case_id=r.case_id,
                reference=r.reference,
                detail=r.detail,
            )
            for r in rows
        ],
        total,
        page,
        per_page,
    )
