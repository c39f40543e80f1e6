"""The clock: the only code in the project that reads the system time is `SystemClock.now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from calendars.london import to_utc

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Gives the current instant, aware and in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is set or advanced (tests, scenario replays)."""

    def __init__(self, instant: datetime) -> None:
        self._instant = to_utc(instant)

    def now(self) -> datetime:
        return self._instant

    def set(self, instant: datetime) -> None:
        self._instant = to_utc(instant)

    def advance(self, delta: timedelta) -> None:
        self._instant = self._instant + delta
