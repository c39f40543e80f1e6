"""Work notices (DESIGN 2.5): what the service tells a person about their work, in the app and
by email, besides the deadline alerts.

- `allocated`: a case was allocated to you (or reassigned to you to cover a colleague's leave);
- `transferred`: a case was transferred to your team's unallocated list (to a team's manager);
- `passed_on`: a case you owned became an allegations (LADO) case and was passed to the LADOs
  (you are told that, not what it holds);
- `unallocated`: a deactivated worker's open case is on your team's unallocated list;
- `census`: a case of yours has records to fix before the CIN census (the nightly check,
  `workflows.returns.census_check`).

A notice is written in the same transaction as the change it reports (`notify`); the in-app list
reads `user_notices`; the delivery pass renders each notice not yet emailed into the email outbox
(`esafety_flow.notify`). A notice carries the case reference and a link, never a fact of the
case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.orm import Session

from workflows.persistence.engine import SessionFactory
from workflows.persistence.tables import cases, user_notices, users

__all__ = [
    "NoticeKind",
    "UserNotice",
    "mark_emailed",
    "notices_of_user",
    "notify",
    "unemailed",
]


class NoticeKind(StrEnum):
    ALLOCATED = "allocated"
    TRANSFERRED = "transferred"
    PASSED_ON = "passed_on"
    UNALLOCATED = "unallocated"
    CENSUS = "census"


@dataclass(frozen=True)
class UserNotice:
    id: int
    user_id: int
    kind: NoticeKind
    case_id: int
    reference: str
    created_at: datetime
    username: str
    email: str
    display_name: str


def notify(
    session: Session, *, user_id: int | None, kind: NoticeKind, case_id: int, at: datetime
) -> None:
    """Tell `user_id` about `case_id` (nothing when there is nobody to tell)."""
    if user_id is None:
        return
    session.connection().execute(
        insert(user_notices).values(
            user_id=user_id, kind=kind.value, case_id=case_id, created_at=at
        )
    )


def _select() -> Select[Any]:
    return (
        select(
            user_notices.c.id,
            user_notices.c.user_id,
            user_notices.c.kind,
            user_notices.c.case_id,
            cases.c.reference,
            user_notices.c.created_at,
            users.c.username,
            users.c.email,
            users.c.display_name,
        )
        .join(cases, cases.c.id == user_notices.c.case_id)
        .join(users, users.c.id == user_notices.c.user_id)
    )


def _notice(r: Row[Any]) -> UserNotice:
    m = r._mapping
    return UserNotice(**{**m, "kind": NoticeKind(m["kind"])})


def notices_of_user(
    sf: SessionFactory, user_id: int, *, limit: int = 50
) -> tuple[list[UserNotice], int]:
    """A user's notices, newest first (at most `limit`), and how many they have."""
    with sf() as s:
        rows = s.execute(
            _select()
            .where(user_notices.c.user_id == user_id)
            .order_by(user_notices.c.created_at.desc(), user_notices.c.id.desc())
            .limit(limit)
        ).all()
        total = s.execute(
            select(func.count()).select_from(user_notices).where(user_notices.c.user_id == user_id)
        ).scalar_one()
    return [_notice(r) for r in rows], int(total)


def unemailed(sf: SessionFactory, *, limit: int = 500, after: int = 0) -> list[UserNotice]:
    """Notices not yet put in the email outbox, oldest first (those with an id above `after`)."""
    with sf() as s:
        rows = s.execute(
            _select()
            .where(user_notices.c.emailed_at.is_(None), user_notices.c.id > after)
            .order_by(user_notices.c.id)
            .limit(limit)
        ).all()
    return [_notice(r) for r in rows]


def mark_emailed(sf: SessionFactory, ids: Sequence[int], *, at: datetime) -> None:
    if not ids:
        return
    with sf.begin() as s:
        s.execute(
            update(user_notices).where(user_notices.c.id.in_(list(ids))).values(emailed_at=at)
        )
