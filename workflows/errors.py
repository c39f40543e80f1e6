"""The one exception hierarchy of `workflows` (house rule 10).

```
WorkflowError (ValueError)
 +-- TransitionRefused   the machines refused an event: wrong state or a failed guard; `.reason`
 |                        is what a practitioner can act on
 +-- InvalidStep         a step out of order (an event timestamped before the case's last event)
 +-- CaseNotFound        no case with that id or reference (services)
 +-- StaleCase           optimistic lock: someone else changed the case first (services)
 +-- InvalidRecord       an organisation or calendar record refused: duplicate name, unknown
                          role or id (services)
```

Bad event data raises `states.InvalidEventData` as is: it is the caller's input, not a refusal.
"""

from __future__ import annotations

__all__ = [
    "CaseNotFound",
    "InvalidRecord",
    "InvalidStep",
    "StaleCase",
    "TransitionRefused",
    "WorkflowError",
]


class WorkflowError(ValueError):
    """Base of every error raised by `workflows`."""


class TransitionRefused(WorkflowError):
    """The event may not happen now; `reason` says why."""

    def __init__(self, reason: str, *, event: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event = event


class InvalidStep(WorkflowError):
    """A step that cannot be applied as given (for example out of time order)."""


class CaseNotFound(WorkflowError):
    """No such case."""


class StaleCase(WorkflowError):
    """The case changed since it was read (optimistic lock)."""


class InvalidRecord(WorkflowError):
    """An org-model or calendar record refused (duplicate name, unknown role, unknown id...)."""
