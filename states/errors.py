"""Errors raised by the procedures package.

ValueError
 +-- StatesError
      +-- InvalidEventData   event data that does not match the event's model
      +-- UnknownEvent       an event name that is not in DESIGN 2.1/2.2
      +-- PolicyFileError    a policy variant file that cannot be used (names the row and field)
      +-- UnknownPolicy      a policy name with no policy behind it
      +-- InvalidIdentifier  an NHS number or UPN that fails its checks (names the identifier)
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "InvalidEventData",
    "InvalidIdentifier",
    "PolicyFileError",
    "StatesError",
    "UnknownEvent",
    "UnknownPolicy",
]


class StatesError(ValueError):
    """Base of every error raised by `states`."""


ErrorLocation = tuple[str | int, ...]
"""Where in the event data a problem is: `("considerations", "icpc_required")`, a list index as an
int."""


class InvalidEventData(StatesError):
    """Event data refused; the message names the event, the field path and the reason.

    `errors` carries the same problems for a program to read: (location in the data, kind of
    problem) pairs, the kind being pydantic's error `type` (`missing`, `enum`, `too_long`,
    `date_from_datetime_parsing`...). It is empty where the refusal is the service's own rule
    rather than the shape of the data; the message, which the API and the scenario runner show,
    is the same either way.
    """

    def __init__(self, message: str, errors: Iterable[tuple[ErrorLocation, str]] = ()) -> None:
        super().__init__(message)
        self.errors: tuple[tuple[ErrorLocation, str], ...] = tuple(errors)


class UnknownEvent(StatesError):
    """An event name outside the contract."""


class PolicyFileError(StatesError):
    """A policy file refused; the message names the file, the row and the field."""


class UnknownPolicy(StatesError):
    """No policy of that name."""


class InvalidIdentifier(StatesError):
    """A child identifier refused: ``str(error)`` is the identifier and what is wrong with it.

    For example "NHS number check digit is wrong: ..." or "UPN must be 13 characters: ...". The
    value itself is never part of the message.
    """

    def __init__(self, identifier: str, reason: str) -> None:
        super().__init__(f"{identifier} {reason}")
        self.identifier = identifier
        self.reason = reason
