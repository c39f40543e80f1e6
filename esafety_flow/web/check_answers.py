"""Check your answers before a case page event that cannot be undone (issue 12 item 1): closing a
case cancels its open deadlines.

A valid close form is answered with the GOV.UK "Check your answers" page (`event_check.html`):
each answer in a summary list with a "Change" button that posts the answers back to the case
page's form (kept as typed; a button, so that free text about a child never goes into a link),
the open deadlines the close cancels (by name and due day, from `casework.preview_event`, which
judges the step without writing) and those that stand, and a "Close the case" button that posts
the same answers with `confirm=yes`. Only that confirmed post writes (`pages.apply_event`). The
JSON API and the scenario runner do not confirm: they call the service directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from starlette.responses import Response

from calendars import LONDON
from esafety_flow.web.access import Viewer
from esafety_flow.web.common import render
from esafety_flow.web.forms import FieldSpec
from esafety_flow.web.next_steps import due_text
from esafety_flow.web.record_views import field_id
from esafety_flow.web.work_forms import WHEN, WorkForm
from states import Event
from states.labels import label
from workflows import casework

__all__ = [
    "CHANGE",
    "CHECKED_EVENTS",
    "CONFIRM",
    "Answer",
    "answers",
    "check_page",
    "hidden_values",
]

CHECKED_EVENTS = frozenset({Event.CLOSE})
"""The case page events asked to be checked before they are written."""

CONFIRM = "confirm"
"""The field the check page's button posts (`confirm=yes`): only then is the event written."""

CHANGE = "change"
"""The field a "Change" button posts (the answer to change): back to the form, answers kept."""

_WORDING = {
    Event.CLOSE: (
        "Check your answers before closing the case",
        "Close the case",
        "Closing the case cannot be undone. The deadlines listed are cancelled and nothing more "
        "can be recorded on the case.",
    )
}
"""Each checked event's heading, button and warning."""

_WARNING_TRACK_OPEN = {
    Event.CLOSE: "Closing child protection cannot be undone. The deadlines listed are cancelled. "
    "The allegation (LADO) track stays open until its outcome is recorded."
}
"""The warning where deadlines stand (the LADO track runs on after child protection closes)."""


@dataclass(frozen=True)
class Answer:
    """One row of the summary list: the question, the answer in words, the field it changes
    and the id of that field's input on the case page."""

    question: str
    answer: str
    field: str
    anchor: str


def _answer_text(spec: FieldSpec, form: WorkForm) -> str:
    if spec.kind in ("radios", "checkboxes", "yesno"):
        options = dict(spec.options) if spec.kind != "yesno" else {"yes": "Yes", "no": "No"}
        chosen = [options.get(v, v) for v in form.many(spec.name)]
        return ", ".join(chosen) or "Not given"
    return form.one(spec.name) or "Not given"


def answers(
    event: Event, specs: Sequence[FieldSpec], form: WorkForm, *, at: datetime, dated_now: bool
) -> list[Answer]:
    """The answers of the event's form, in form order, and when it happened (`dated_now`: the
    form's default left unchanged, so the event is dated when it is confirmed)."""
    rows = [
        Answer(spec.label, _answer_text(spec, form), spec.name, field_id(event.value, spec.name))
        for spec in specs
    ]
    london = at.astimezone(LONDON)
    when = f"{london.day} {london:%B %Y} at {london:%H:%M}"
    rows.append(
        Answer(
            "When it happened",
            f"Now, when you confirm (it is {when})" if dated_now else when,
            WHEN,
            f"{event.value}-{WHEN}-day",
        )
    )
    return rows


def hidden_values(form: WorkForm) -> list[tuple[str, str]]:
    """The posted answers to post again (each value of each name), without the check page's own
    buttons."""
    return [
        (name, value)
        for name, values in form.values.items()
        if name not in (CONFIRM, CHANGE)
        for value in values
    ]


def check_page(
    request: Request,
    viewer: Viewer,
    *,
    case_id: int,
    event: Event,
    specs: Sequence[FieldSpec],
    form: WorkForm,
    at: datetime,
    dated_now: bool,
    preview: casework.EventPreview,
) -> Response:
    """The check page of `event` posted with `form` (valid answers) and dated `at` (`dated_now`:
    the moment it is confirmed), `preview` what it would do."""
    heading, button, warning = _WORDING[event]
    if preview.still_open:
        warning = _WARNING_TRACK_OPEN.get(event, warning)
    case = preview.case
    return render(
        request,
        "event_check.html",
        {
            "title": f"{heading}: case {case.reference}",
            "heading": heading,
            "button": button,
            "warning": warning,
            "case_id": case_id,
            "reference": case.reference,
            "event": event.value,
            "rows": answers(event, specs, form, at=at, dated_now=dated_now),
            "hidden_values": hidden_values(form),
            "cancelled": [(label(d.kind.value), due_text(d)) for d in preview.cancelled],
            "met": [(label(d.kind.value), due_text(d)) for d in preview.met],
            "still_open": [(label(d.kind.value), due_text(d)) for d in preview.still_open],
            "change_field": CHANGE,
            "confirm_field": CONFIRM,
        },
        viewer=viewer,
    )
