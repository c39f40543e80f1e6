"""Column types.

`UTCDateTime` stores aware instants as UTC and always returns aware UTC datetimes. SQLite has no
time zone support and silently drops the offset (engineering.md: a 09:00 BST deadline came back as a
naive 09:00), so the value is normalised to UTC before it is written and tagged as UTC when read.
A naive datetime is refused: every instant in this system is aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["NaiveDatetimeRefused", "UTCDateTime"]


class NaiveDatetimeRefused(ValueError):
    """A naive datetime was given to a `UTCDateTime` column."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise NaiveDatetimeRefused(
                f"naive datetime {value.isoformat()} refused: give an aware instant (UTC)"
            )
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # stored as text 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, so that text order is time order
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
