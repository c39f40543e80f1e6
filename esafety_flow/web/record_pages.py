"""The pages that put the record right (DESIGN 2.3, 6.1; issue 8): "Correct the date" of a past
event (`correct_date`: the log entry, when it really happened, why; then which deadlines moved or
were judged again) and a "Change" page for each fact of the case (`record_facts`: category,
what applies to each child in this case, alleged abuser, imagery, significant harm, risk factors,
leave-home decision, working agreement), each showing what is recorded now. Who a child or an
alleged abuser is (name, date of birth, identifiers) belongs to the person record and is kept as
it is.

Each change is one page with one question (GOV.UK pattern): its problems are listed in an error
summary linking to the field, each beside its field, with what was typed kept. Every date is the
GOV.UK date input with a time of `work_forms` (default now). A case the viewer may not see is a
404 (`pages.readable_case`, the refused look-up audited).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from calendars import london_date
from esafety_flow.web import record_views
from esafety_flow.web.access import Viewer, works_cases
from esafety_flow.web.common import (
    Forbidden,
    NotFound,
    NotSignedIn,
    ctx_of,
    form_values,
    load_viewer,
    render,
    render_form,
)
from esafety_flow.web.context import WebContext
from esafety_flow.web.forms import DATE_PARTS, FieldSpec, FormProblem, read_date
from esafety_flow.web.messages import Problem
from esafety_flow.web.pages import readable_case
from esafety_flow.web.work_forms import WHEN, WorkForm, when_defaults, when_from_form
from esafety_flow.web.work_views import describe
from states import (
    AbuserKind,
    Category,
    EmploymentSector,
    Event,
    InvalidEventData,
    LeaveHome,
    RecordFactsData,
    RiskFactor,
)
from workflows import InvalidStep, StaleCase, TransitionRefused, casework
from workflows.domain import Case, CaseEvent, effective_history
from workflows.errors import CaseNotFound

__all__ = ["FACT_FORMS", "router"]

router = APIRouter(include_in_schema=False)

REASON_LIMIT = 2_000


def _viewer(request: Request) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise NotSignedIn()
    if not works_cases(viewer):
        raise Forbidden("only caseworkers work cases")
    return viewer


def _case(request: Request, viewer: Viewer, case_id: int) -> Case:
    readable_case(request, viewer, case_id)
    try:
        return casework.get_case(ctx_of(request).session_factory, case_id)
    except CaseNotFound:
        raise NotFound(f"no case {case_id}") from None


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def _version(form: WorkForm) -> int | None:
    raw = form.one("expected_version")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _record(
    ctx: WebContext,
    case: Case,
    event: Event,
    form: WorkForm,
    *,
    at: datetime,
    actor: str,
    data: Mapping[str, Any],
    prefix: str,
    specs: Sequence[FieldSpec],
    field: str,
    anchor: str,
    form_name: str | None = None,
) -> bool:
    """Record the event, dated `at` and recorded now; a refusal goes on the form beside the
    field it concerns (the order rule's beside the date; a problem with the data worded by
    `messages` for `form_name`). Returns whether it was recorded."""
    assert case.id is not None
    try:
        casework.apply_event(
            ctx.session_factory,
            case.id,
            event,
            at=at,
            recorded_at=ctx.clock.now(),
            actor=actor,
            data=data,
            expected_version=_version(form),
            calendar=ctx.calendar_for(case.region),
            policy=ctx.policy,
        )
    except InvalidStep as exc:
        form.problem(
            WHEN, _sentence(str(exc)), f"{prefix}-{WHEN}-day", ("day", "month", "year", "time")
        )
        return False
    except InvalidEventData as exc:
        if not record_views.place_data_error(form, prefix, specs, exc, form_name):
            form.problem(field, record_views.data_refusal(exc), anchor)
        return False
    except TransitionRefused as exc:
        form.problem(field, _sentence(exc.reason), anchor)
        return False
    except StaleCase:
        form.problem(
            field,
            "Someone else changed this case while you were reading it: check it and try again",
            anchor,
        )
        return False
    return True


# -- correct the date ----------------------------------------------------------------------------


def _target(case: Case, seq: int) -> CaseEvent:
    """The past event `seq` of the case's log (as it now reads), or NotFound."""
    found = next(
        (e for e in effective_history(case.history) if e.seq == seq and e.is_transition), None
    )
    if found is None or found.event == Event.CORRECT_DATE.value:
        raise NotFound(f"no event {seq} to correct on this case")
    return found


def _correct_page(
    request: Request,
    viewer: Viewer,
    case: Case,
    target: CaseEvent,
    form: WorkForm,
    status: int | None = None,
) -> Response:
    today = london_date(ctx_of(request).clock.now())
    what, _ = describe(str(target.event), target.data, {})
    entry = next(
        e
        for e in record_views.timeline(case, today=today, may_correct=False)
        if e.seq == target.seq
    )
    return render_form(
        request,
        viewer,
        "record_correct_date.html",
        "Correct the date",
        form,
        status=status,
        case=case,
        target=target,
        what=what,
        entry=entry,
        occurred=record_views.short_when(target.at, date.min),
        recorded=record_views.short_when(target.recorded_at, date.min),
    )


@router.get("/cases/{case_id}/correct-date/{seq}")
def correct_date_page(request: Request, case_id: int, seq: int) -> Response:
    viewer = _viewer(request)
    case = _case(request, viewer, case_id)
    target = _target(case, seq)
    form = WorkForm(when_defaults(target.at))
    form.values["expected_version"] = [str(case.version)]
    return _correct_page(request, viewer, case, target, form)


@router.post("/cases/{case_id}/correct-date/{seq}")
async def correct_date(request: Request, case_id: int, seq: int) -> Response:
    """`correct_date` of log entry `seq`: when it really happened and why the record was wrong;
    then the page of what the correction did to the deadlines."""
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    case = _case(request, viewer, case_id)
    target = _target(case, seq)
    ctx = ctx_of(request)
    now = ctx.clock.now()
    reason = form.one("reason")
    at = when_from_form(form, now=now, prefix="correct_date", what="when it really happened")
    if at is not None and at == target.at:
        form.problem(
            WHEN,
            "That is the date and time already recorded: enter when it really happened",
            f"correct_date-{WHEN}-day",
            ("day", "month", "year", "time"),
        )
    if not reason:
        form.problem("reason", "Enter why the date recorded was wrong", "correct_date-reason")
    elif len(reason) > REASON_LIMIT:
        form.problem(
            "reason",
            f"The reason must be {REASON_LIMIT:,} characters or fewer",
            "correct_date-reason",
        )
    if not form.ok or at is None:
        return _correct_page(request, viewer, case, target, form)
    recorded = _record(
        ctx,
        case,
        Event.CORRECT_DATE,
        form,
        at=now,
        actor=viewer.username,
        data={"event_id": seq, "occurred_at": at.isoformat(), "reason": reason},
        prefix="correct_date",
        specs=(FieldSpec("reason", "Reason", "textarea"),),
        field=WHEN,
        anchor=f"correct_date-{WHEN}-day",
    )
    if not recorded:
        return _correct_page(request, viewer, case, target, form, status=409)
    after = casework.get_case(ctx.session_factory, case_id)
    done = max(e.seq for e in after.history if e.corrects == seq)
    return RedirectResponse(f"/cases/{case_id}/corrections/{done}", status_code=303)


@router.get("/cases/{case_id}/corrections/{seq}")
def correction_page(request: Request, case_id: int, seq: int) -> Response:
    """What the correction `seq` did: the event's old and new dates, why, and each deadline it
    moved or judged again."""
    viewer = _viewer(request)
    case = _case(request, viewer, case_id)
    entry = next(
        (e for e in case.history if e.seq == seq and e.event == Event.CORRECT_DATE.value), None
    )
    if entry is None:
        raise NotFound(f"no correction {seq} on this case")
    today = london_date(ctx_of(request).clock.now())
    target = next((e for e in case.history if e.seq == entry.corrects), None)
    what = describe(str(target.event), target.data, {})[0] if target is not None else "The event"
    old = datetime.fromisoformat(str(entry.data["old_occurred_at"]))
    new = datetime.fromisoformat(str(entry.data["new_occurred_at"]))
    return render(
        request,
        "record_corrected.html",
        {
            "title": "Date corrected",
            "case": case,
            "what": what,
            "old": record_views.short_when(old, date.min),
            "new": record_views.short_when(new, date.min),
            "reason": entry.data.get("reason"),
            "by": entry.actor,
            "effects": record_views.correction_effects(case, seq),
            "today": today,
        },
        viewer=viewer,
    )


# -- the facts -----------------------------------------------------------------------------------


def _choices(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((v, record_views.fact_text_of_code(v)) for v in values)


_IMAGERY = (
    ("involves_adult", "An adult is involved"),
    ("coercion_or_grooming", "Coercion, blackmail or grooming"),
    ("capacity_to_consent_concern", "Concerns about capacity to consent (for example SEN)"),
    ("sexual_acts", "The imagery shows sexual acts"),
    ("unusual_or_violent", "Sexual acts unusual for the child's development, or violent"),
    ("immediate_risk", "The child is at immediate risk of harm because of the sharing"),
)
_ABUSER_FLAGS = (
    ("lives_with_children", "Lives with children"),
    ("unsupervised_contact_with_children", "Has unsupervised contact with children"),
    (
        "position_of_trust",
        "Works or volunteers with children, or is a foster carer (position of trust)",
    ),
)
_WA = ("supervision_of_contact", "intimate_care", "entry_to_childrens_rooms", "sleepovers")

FACT_FORMS: Mapping[str, tuple[str, str, tuple[FieldSpec, ...]]] = {
    "category": (
        "category",
        "What kind of online harm is it?",
        (
            FieldSpec(
                "category",
                "Kind of online harm",
                "radios",
                tuple((c.value, record_views.fact_text("category", c.value)) for c in Category),
            ),
        ),
    ),
    "alleged-abuser": (
        "alleged_abuser",
        "The alleged abuser",
        (
            FieldSpec(
                "alleged_abuser.kind",
                "Is the alleged abuser an adult or a child?",
                "radios",
                tuple((k.value, record_views.fact_text_of_code(k.value)) for k in AbuserKind),
            ),
            FieldSpec("alleged_abuser.flags", "What applies to them?", "checkboxes", _ABUSER_FLAGS),
            FieldSpec("alleged_abuser.role", "Their role (for example, teacher)", "text"),
            FieldSpec(
                "alleged_abuser.employment_sector",
                "Where do they work or volunteer?",
                "radios",
                tuple((s.value, record_views.fact_text_of_code(s.value)) for s in EmploymentSector),
                hint="For an adult in a position of trust (the LADO's figures by sector)",
            ),
        ),
    ),
    "imagery": (
        "imagery",
        "Youth-produced imagery: what applies?",
        (
            FieldSpec(
                "imagery",
                "What applies to the imagery?",
                "checkboxes",
                _IMAGERY,
                hint="Leave every box unticked if none of these applies",
            ),
        ),
    ),
    "significant-harm": (
        "significant_harm_suspected",
        "Is significant harm suspected?",
        (FieldSpec("significant_harm_suspected", "Is significant harm suspected?", "yesno"),),
    ),
    "risk-factors": (
        "risk_factors",
        "Which risk factors are present?",
        (
            FieldSpec(
                "risk_factors",
                "Risk factors (seed 004 s2.2)",
                "checkboxes",
                _choices([r.value for r in RiskFactor]),
                hint="Leave every box unticked if none is present",
            ),
        ),
    ),
    "leave-home": (
        "leave_home_decision",
        "Will the alleged abuser leave the home during the assessment?",
        (
            FieldSpec(
                "leave_home_decision",
                "Will the alleged abuser leave the home during the assessment?",
                "radios",
                _choices([v.value for v in LeaveHome]),
            ),
        ),
    ),
    "children": ("children", "The children: what applies to each?", ()),
    "working-agreement": (
        "working_agreement",
        "The working agreement",
        tuple(
            FieldSpec(
                f"working_agreement.{name}", record_views.working_agreement_label(name), "textarea"
            )
            for name in _WA
        ),
    ),
}
"""Each fact's page: its address, the fact it changes, the page's question and its fields."""


_CHILD_FLAGS = (
    ("lives_with_alleged_abuser", "Lives with the alleged abuser"),
    ("known_to_alleged_abuser", "Is known to the alleged abuser"),
    ("shown_in_images", "Is shown in the images"),
)


def _fact(slug: str, case: Case) -> tuple[str, str, tuple[FieldSpec, ...]]:
    """The fact a page changes, its question and its fields (the children's: one set of
    boxes per child of the case, what this case knows of their situation; who they are is
    recorded with the person)."""
    found = FACT_FORMS.get(slug)
    if found is None:
        raise NotFound(f"no fact {slug}")
    name, question, specs = found
    if name == "children":
        if not case.facts.children:
            raise NotFound("no child is recorded on this case")
        specs = tuple(
            FieldSpec(f"child{i}.flags", f"{child.name}: what applies?", "checkboxes", _CHILD_FLAGS)
            for i, child in enumerate(case.facts.children, start=1)
        )
    return name, question, specs


def _current_values(name: str, case: Case) -> dict[str, list[str]]:
    """The form's fields set to the fact as recorded now."""
    value = case.facts.model_dump(mode="json").get(name)
    out: dict[str, list[str]] = {}
    if value is None:
        return out
    if name in ("category", "leave_home_decision"):
        out[name] = [str(value)]
    elif name == "significant_harm_suspected":
        out[name] = ["yes" if value else "no"]
    elif name == "risk_factors":
        out[name] = [str(v) for v in value]
    elif name == "imagery":
        out[name] = [k for k, v in value.items() if v is True]
    elif name == "alleged_abuser":
        out["alleged_abuser.kind"] = [str(value.get("kind") or "")]
        out["alleged_abuser.flags"] = [k for k, _ in _ABUSER_FLAGS if value.get(k)]
        out["alleged_abuser.role"] = [str(value.get("role") or "")]
        out["alleged_abuser.employment_sector"] = [str(value.get("employment_sector") or "")]
    elif name == "children":
        for i, child in enumerate(value, start=1):
            out[f"child{i}.flags"] = [k for k, _ in _CHILD_FLAGS if child.get(k)]
    elif name == "working_agreement":
        for k in _WA:
            out[f"working_agreement.{k}"] = [str(value.get(k) or "")]
        review = value.get("review_date")
        if review:
            day = date.fromisoformat(str(review))
            out["review_date-day"] = [str(day.day)]
            out["review_date-month"] = [str(day.month)]
            out["review_date-year"] = [str(day.year)]
    return out


REVIEW_DATE = FieldSpec("review_date", "When will the working agreement be reviewed?", "date")
"""The facts page's date input of the working agreement (`review_date-day` ...)."""


def _problem(form: WorkForm, prefix: str, name: str, problem: Problem, **values: str) -> None:
    """A problem of a facts page beside its field, worded by `messages`."""
    parts = DATE_PARTS if name == REVIEW_DATE.name and problem is Problem.MISSING else ()
    record_views.place_problems(
        form, prefix, (), [FormProblem(name, problem, parts, values)], "record_facts"
    )


def _review_date(form: WorkForm, prefix: str) -> date | None:
    """The working agreement's review date (a GOV.UK date input), or None; a problem is
    recorded against `review_date` when it is given but not a real date."""
    found = read_date(form.values, REVIEW_DATE.name)
    if isinstance(found, FormProblem):
        record_views.place_problems(form, prefix, (REVIEW_DATE,), [found], "record_facts")
        return None
    return found


def _fact_data(name: str, form: WorkForm, case: Case, prefix: str) -> Any:
    """The fact's new value (JSON) from the form; None after recording a problem."""
    if name in ("category", "leave_home_decision"):
        value = form.one(name)
        if not value:
            _problem(form, prefix, name, Problem.MISSING)
            return None
        return value
    if name == "significant_harm_suspected":
        value = form.one(name)
        if value not in ("yes", "no"):
            _problem(form, prefix, name, Problem.INVALID if value else Problem.MISSING)
            return None
        return value == "yes"
    if name == "risk_factors":
        return form.many(name)
    if name == "imagery":
        chosen = set(form.many(name))
        return {k: k in chosen for k, _ in _IMAGERY}
    if name == "alleged_abuser":
        kind = form.one("alleged_abuser.kind")
        if not kind:
            _problem(form, prefix, "alleged_abuser.kind", Problem.MISSING)
            return None
        current = case.facts.alleged_abuser
        kept = (
            current.model_dump(
                mode="json", include={"name", "date_of_birth", "person_id"}, exclude_none=True
            )
            if current is not None
            else {}
        )
        flags = set(form.many("alleged_abuser.flags"))
        abuser: dict[str, Any] = {
            **kept,
            "kind": kind,
            **{k: k in flags for k, _ in _ABUSER_FLAGS},
        }
        if form.one("alleged_abuser.role"):
            abuser["role"] = form.one("alleged_abuser.role")
        if form.one("alleged_abuser.employment_sector"):
            abuser["employment_sector"] = form.one("alleged_abuser.employment_sector")
        return abuser
    if name == "children":
        children = []
        for i, child in enumerate(case.facts.model_dump(mode="json")["children"], start=1):
            chosen = set(form.many(f"child{i}.flags"))
            children.append({**child, **{k: k in chosen for k, _ in _CHILD_FLAGS}})
        return children
    if name == "working_agreement":
        agreement: dict[str, Any] = {
            k: form.one(f"working_agreement.{k}") for k in _WA if form.one(f"working_agreement.{k}")
        }
        review = _review_date(form, prefix)
        if review is not None:
            agreement["review_date"] = review.isoformat()
        if not form.ok:
            return None
        # an agreement is in place with all five of its matters (seed 004 s2.2): each one left
        # blank is said beside it (the guard refuses it too)
        for k in _WA:
            if k not in agreement:
                _problem(form, prefix, f"working_agreement.{k}", Problem.MISSING)
        if "review_date" not in agreement:
            _problem(form, prefix, REVIEW_DATE.name, Problem.MISSING)
        if not form.ok:
            return None
        return agreement
    raise NotFound(f"no fact {name}")  # pragma: no cover - FACT_FORMS names only these


def _unchanged(case: Case, name: str, value: Any) -> bool:
    """Whether `value` is what the case already records for the fact (compared as the facts
    read once merged, so that defaults left out of the form count as given)."""
    try:
        merged = case.facts.merged(RecordFactsData.model_validate({name: value}))
    except ValueError:
        return False  # the service says what is wrong with it
    new: Any = merged.model_dump(mode="json").get(name)
    return bool(new == case.facts.model_dump(mode="json").get(name))


def _fact_page(
    request: Request,
    viewer: Viewer,
    case: Case,
    slug: str,
    form: WorkForm,
    status: int | None = None,
) -> Response:
    name, question, specs = _fact(slug, case)
    current = record_views.fact_text(name, case.facts.model_dump(mode="json").get(name))
    return render_form(
        request,
        viewer,
        "record_fact.html",
        question,
        form,
        status=status,
        case=case,
        slug=slug,
        fact=name,
        fact_label=record_views.FACTS[name],
        question=question,
        specs=specs,
        current=current or "Not recorded",
        prefix="record_facts",
    )


@router.get("/cases/{case_id}/facts/{slug}")
def fact_page(request: Request, case_id: int, slug: str) -> Response:
    viewer = _viewer(request)
    case = _case(request, viewer, case_id)
    name, _, _ = _fact(slug, case)
    form = record_views.event_form(ctx_of(request).clock.now())
    form.values.update(_current_values(name, case))
    form.values["expected_version"] = [str(case.version)]
    return _fact_page(request, viewer, case, slug, form)


@router.post("/cases/{case_id}/facts/{slug}")
async def change_fact(request: Request, case_id: int, slug: str) -> Response:
    """`record_facts` with the fact's new value, dated when it was learnt (default now)."""
    viewer = _viewer(request)
    form = WorkForm.of(await form_values(request))
    case = _case(request, viewer, case_id)
    name, _, specs = _fact(slug, case)
    ctx = ctx_of(request)
    now = ctx.clock.now()
    prefix = "record_facts"
    value = _fact_data(name, form, case, prefix)
    first = record_views.field_id(prefix, specs[0].name)
    if form.ok and _unchanged(case, name, value):
        form.problem(
            specs[0].name,
            f"The {record_views.FACTS[name].lower()} is already recorded as this: change it, "
            "or go back to the case",
            first,
        )
    at = record_views.occurred_from_form(form, now=now, prefix=prefix)
    if not form.ok or at is None:
        return _fact_page(request, viewer, case, slug, form)
    if _record(
        ctx,
        case,
        Event.RECORD_FACTS,
        form,
        at=at,
        actor=viewer.username,
        data={name: value},
        prefix=prefix,
        specs=(*specs, REVIEW_DATE),
        field=specs[0].name,
        anchor=first,
        form_name="record_facts",
    ):
        return RedirectResponse(f"/cases/{case_id}?done=record_facts", status_code=303)
    return _fact_page(request, viewer, case, slug, form, status=409)
