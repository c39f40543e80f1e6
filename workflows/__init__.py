"""workflows: casework - the Case aggregate, firing events, the deadline engine, alerts.

Domain modules (`domain`, `engine`, `alerting`, `errors`) are pure: no I/O, no clock.
"""

from workflows.alerting import (
    AlertDue,
    alert_schedule,
    alerts_due,
    reschedule_alerts,
    schedule_alerts,
    start_of_london_day,
)
from workflows.domain import (
    AlertStep,
    Case,
    CaseEvent,
    CaseEventKind,
    Deadline,
    DeadlineStatus,
    HeldStrategyDiscussion,
)
from workflows.engine import (
    FireResult,
    fire,
    raise_concern,
    recalculate,
    refusal_now,
    replay,
)
from workflows.errors import (
    CaseNotFound,
    InvalidRecord,
    InvalidStep,
    StaleCase,
    TransitionRefused,
    WorkflowError,
)

__all__ = [
    "AlertDue",
    "AlertStep",
    "Case",
    "CaseEvent",
    "CaseEventKind",
    "CaseNotFound",
    "Deadline",
    "DeadlineStatus",
    "FireResult",
    "HeldStrategyDiscussion",
    "InvalidRecord",
    "InvalidStep",
    "StaleCase",
    "TransitionRefused",
    "WorkflowError",
    "alert_schedule",
    "alerts_due",
    "fire",
    "raise_concern",
    "recalculate",
    "refusal_now",
    "replay",
    "reschedule_alerts",
    "schedule_alerts",
    "start_of_london_day",
]
