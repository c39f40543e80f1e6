"""The look-ups the use-case services take as parameters: a region's current calendar and a
policy by name (the service edge builds them from the database and the settings)."""

from __future__ import annotations

from collections.abc import Callable

from calendars import Region, WorkingDayCalendar
from states import Policy

__all__ = ["CalendarFor", "PolicyFor"]

CalendarFor = Callable[[Region], WorkingDayCalendar]
PolicyFor = Callable[[str], Policy]
