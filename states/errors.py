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


class InvalidEventData(StatesError):
    """Event data refused; the message names the event, the field path and the reason."""


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
