"""What a notification says, and nothing more.

Each notice carries only what its recipient's role needs to act (DESIGN 3.3, issue 5): the case
reference, the deadline kind, the due date, the alert level and a link into the service. Never a
child's name, an alleged abuser's details or any fact of the case: those stay behind the link,
where access is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from states.labels import in_words

__all__ = [
    "AlertNotice",
    "DeadlineMovedNotice",
    "DigestItem",
    "DigestNotice",
    "DigestWorker",
    "WorkNotice",
    "kind_label",
    "level_label",
]

_LEVEL_LABELS = {
    "due_soon": "due soon",
    "due_today": "due today",
    "overdue": "overdue",
    "escalated": "overdue (escalated)",
}


def level_label(level: str) -> str:
    """Plain-English wording of one of the four alert levels of DESIGN 6."""
    try:
        return _LEVEL_LABELS[level]
    except KeyError:
        raise ValueError(
            f"unknown alert level {level!r}: expected one of {', '.join(_LEVEL_LABELS)}"
        ) from None


def kind_label(kind: str) -> str:
    """`initial_child_protection_conference` -> `initial child protection conference`, as it
    reads inside a sentence (`states.labels`)."""
    return in_words(kind)


@dataclass(frozen=True)
class AlertNotice:
    """One outbox alert as its recipient will read it."""

    alert_id: int
    level: str
    recipient_role: str
    recipient_name: str | None
    recipient_email: str | None
    case_reference: str
    deadline_kind: str
    due_date: date
    link: str

    def __post_init__(self) -> None:
        level_label(self.level)  # refuses an unknown level

    @property
    def subject(self) -> str:
        return (
            f"[{level_label(self.level)}] {kind_label(self.deadline_kind)}"
            f" for case {self.case_reference}, due {self.due_date.isoformat()}"
        )

    def payload(self) -> dict[str, Any]:
        """The webhook body (JSON): a `text` line for Teams/Slack style channels plus the fields."""
        return {
            "text": f"{self.subject}: {self.link}",
            "alert_id": self.alert_id,
            "level": self.level,
            "to": self.recipient_role,
            "case_reference": self.case_reference,
            "deadline_kind": self.deadline_kind,
            "due_date": self.due_date.isoformat(),
            "link": self.link,
        }


@dataclass(frozen=True)
class DigestItem:
    case_reference: str
    deadline_kind: str
    due_date: date
    status: str  # "overdue" or "open" (due this week)
    link: str

    @property
    def kind_label(self) -> str:
        return kind_label(self.deadline_kind)


@dataclass(frozen=True)
class DigestWorker:
    """One worker's overdue and due-this-week deadlines (the worker's display name is shown to
    their manager, who knows them)."""

    name: str
    items: tuple[DigestItem, ...]

    @property
    def overdue(self) -> tuple[DigestItem, ...]:
        return tuple(i for i in self.items if i.status == "overdue")

    @property
    def due_this_week(self) -> tuple[DigestItem, ...]:
        return tuple(i for i in self.items if i.status != "overdue")


@dataclass(frozen=True)
class DigestNotice:
    """A manager's morning digest of one team."""

    manager_id: int
    manager_name: str
    manager_email: str | None
    team_name: str
    on: date
    week_ends: date
    workers: tuple[DigestWorker, ...]

    @property
    def subject(self) -> str:
        overdue = sum(len(w.overdue) for w in self.workers)
        due = sum(len(w.due_this_week) for w in self.workers)
        return (
            f"{self.team_name}: {overdue} overdue, {due} due by {self.week_ends.isoformat()}"
            f" ({self.on.isoformat()})"
        )


@dataclass(frozen=True)
class DeadlineMovedNotice:
    """A deadline moved by a calendar change (a one-off bank holiday or closure day)."""

    owner_name: str
    owner_email: str | None
    case_reference: str
    deadline_kind: str
    old_due_date: date
    new_due_date: date
    reason: str
    link: str

    @property
    def subject(self) -> str:
        return (
            f"{kind_label(self.deadline_kind)} for case {self.case_reference} moved"
            f" from {self.old_due_date.isoformat()} to {self.new_due_date.isoformat()}"
        )


_WORK_SUBJECTS = {
    "allocated": "Case {ref} has been allocated to you",
    "transferred": "Case {ref} has been transferred to your team's unallocated list",
    "passed_on": "Case {ref} has been passed to the LADOs",
    "unallocated": "Case {ref} is on your team's unallocated list",
    "census": "Case {ref} has records to fix before the CIN census",
}

_WORK_SENTENCES = {
    "allocated": (
        "Case {ref} has been allocated to you. Its deadline alerts come to you from now on."
    ),
    "transferred": (
        "Case {ref} has been transferred to your team's unallocated list. It is waiting for you "
        "to allocate it."
    ),
    "passed_on": (
        "Case {ref} is now an allegations (LADO) case and has been passed to the LADOs. It has "
        "left your caseload and you can no longer open it."
    ),
    "unallocated": (
        "Case {ref} is on your team's unallocated list: its owner's account was deactivated. It "
        "is waiting for you to allocate it."
    ),
    "census": (
        "Case {ref} has records that the CIN census would refuse or query. The census page lists "
        "what to fix."
    ),
}


@dataclass(frozen=True)
class WorkNotice:
    """A work notice (DESIGN 2.5: allocated, transferred, passed on, unallocated) as its recipient
    reads it by email: the case reference, what happened and a link, nothing of the case."""

    notice_id: int
    kind: str
    recipient_name: str | None
    recipient_email: str | None
    case_reference: str
    link: str
    link_text: str

    def __post_init__(self) -> None:
        if self.kind not in _WORK_SUBJECTS:
            known = ", ".join(_WORK_SUBJECTS)
            raise ValueError(f"unknown work notice kind {self.kind!r}: expected one of {known}")

    @property
    def subject(self) -> str:
        return _WORK_SUBJECTS[self.kind].format(ref=self.case_reference)

    @property
    def sentence(self) -> str:
        return _WORK_SENTENCES[self.kind].format(ref=self.case_reference)
