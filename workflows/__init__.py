"""workflows: casework - the Case aggregate, firing events, the deadline engine, alerts.

Domain modules (`domain`, `engine`, `alerting`, `errors`) are pure: no I/O, no clock.
"""

from workflows.domain import (
    AlertStep,
    Case,
    CaseEvent,
    CaseEventKind,
    Deadline,
    DeadlineStatus,
    HeldStrategyDiscussion,
)
from workflows.errors import (
    CaseNotFound,
    InvalidStep,
    StaleCase,
    TransitionRefused,
    WorkflowError,
)

__all__ = [
    "AlertStep",
    "Case",
    "CaseEvent",
    "CaseEventKind",
    "CaseNotFound",
    "Deadline",
    "DeadlineStatus",
    "HeldStrategyDiscussion",
    "InvalidStep",
    "StaleCase",
    "TransitionRefused",
    "WorkflowError",
]
