"""The new-concern form (DESIGN 2.4, 6.1): each child as a person with the CIN census items, the
alleged abuser's details, and when the concern was received.

The form is flat: child `i` (from 1) posts `child<i>.name`, `child<i>.dob-day` / `-month` /
`-year` (date of birth), `child<i>.edd-*` (expected date of birth), `child<i>.age`, `child<i>.sex`,
`child<i>.ethnicity`, `child<i>.nhs_number`, `child<i>.upn`, `child<i>.disabilities` and
`child<i>.flags`; the alleged abuser `abuser.kind`, `abuser.name`, `abuser.dob-*`, `abuser.flags`,
`abuser.role` and `abuser.employment_sector`; the time received `occurred-*`
(`work_forms.when_from_form`). `children` is the number of child blocks shown ("add another child"
posts `action=add_child` and the page comes back with one more, without JavaScript).

`read_concern` turns a post into the facts of DESIGN 6.1 and the time received, or records every
problem against its field (a `WorkForm`: the values as typed, each problem with the id of its
input, so the error summary links to it). An NHS number or UPN is checked here
(`states.identifiers`) so that a wrong check digit is an error beside that field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from calendars import london_date
from esafety_flow.web import messages
from esafety_flow.web.forms import FieldSpec, FormProblem, label_of, read_date
from esafety_flow.web.messages import Problem
from esafety_flow.web.work_forms import WHEN, WorkForm, when_from_form
from states import (
    AbuserKind,
    CaseFacts,
    Category,
    EmploymentSector,
    InvalidIdentifier,
    RiskFactor,
    error_kinds,
    normalise_nhs_number,
    normalise_upn,
)
from states.census import Disability, Ethnicity, Sex

__all__ = [
    "CHILD_BLOCKS_LIMIT",
    "CONCERN_CHOICES",
    "CONCERN_FIELDS",
    "Concern",
    "anchor_of",
    "child_blocks",
    "read_concern",
]

CHILD_BLOCKS_LIMIT = 12
"""The most children one form shows (more can be added to the case with `record_facts`)."""

CHILD_FLAGS = ("lives_with_alleged_abuser", "known_to_alleged_abuser", "shown_in_images")
ABUSER_FLAGS = ("lives_with_children", "unsupervised_contact_with_children", "position_of_trust")
IMAGERY = (
    "involves_adult",
    "coercion_or_grooming",
    "capacity_to_consent_concern",
    "sexual_acts",
    "unusual_or_violent",
    "immediate_risk",
)
_DATE_PARTS = ("day", "month", "year")


def _options(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((v, label_of(v)) for v in values)


CONCERN_CHOICES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "category": _options([c.value for c in Category]),
    "child_flags": _options(CHILD_FLAGS),
    "abuser_kind": (("", "No alleged abuser known"), *_options([k.value for k in AbuserKind])),
    "abuser_flags": _options(ABUSER_FLAGS),
    "imagery": _options(IMAGERY),
    "risk_factors": _options([r.value for r in RiskFactor]),
    "sex": tuple((s.value, s.label) for s in Sex),
    "ethnicity": tuple((e.value, f"{e.label} ({e.value})") for e in Ethnicity),
    "disabilities": tuple((d.value, d.label) for d in Disability),
    "employment_sector": _options([s.value for s in EmploymentSector]),
}


def anchor_of(field: str) -> str:
    """The id of a field's input: `child1.nhs_number` -> `child1-nhs-number`."""
    return field.replace(".", "-").replace("_", "-")


def child_blocks(form: WorkForm) -> int:
    """How many child blocks the form shows: the number posted in `children`, or the highest
    child with anything typed, at least one."""
    shown = 1
    raw = form.one("children")
    if raw.isascii() and raw.isdigit() and len(raw) <= 2:
        shown = int(raw)
    for i in range(1, CHILD_BLOCKS_LIMIT + 1):
        if any(form.one(k) for k in _child_keys(i)):
            shown = max(shown, i)
    return max(1, min(shown, CHILD_BLOCKS_LIMIT))


def _child_keys(i: int) -> list[str]:
    p = f"child{i}."
    keys = [p + n for n in ("name", "age", "sex", "ethnicity", "nhs_number", "upn")]
    keys += [f"{p}{d}-{part}" for d in ("dob", "edd") for part in _DATE_PARTS]
    keys += [p + "flags", p + "disabilities", p + "sen"]
    return keys


@dataclass(frozen=True)
class Concern:
    """What the form says: the facts (not yet linked to person records) and when the concern was
    received."""

    facts: CaseFacts
    occurred_at: datetime


CONCERN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("category", "Kind of online harm", "select"),
    FieldSpec("child.name", "Name or initials", "text"),
    FieldSpec("child.dob", "Date of birth", "date"),
    FieldSpec("child.edd", "Expected date of birth", "date"),
    FieldSpec("child.age", "Age in years", "number"),
    FieldSpec("child.sex", "Sex", "radios"),
    FieldSpec("child.ethnicity", "Ethnicity", "select"),
    FieldSpec("child.nhs_number", "NHS number", "identifier"),
    FieldSpec("child.upn", "Unique pupil number (UPN)", "identifier"),
    FieldSpec("child.disabilities", "Disabilities", "checkboxes"),
    FieldSpec("child.sen", "Special educational needs (SEN)?", "yesno"),
    FieldSpec("child.flags", "About the child", "checkboxes"),
    FieldSpec("abuser.kind", "Who is the alleged abuser?", "radios"),
    FieldSpec("abuser.name", "Name, if known", "text"),
    FieldSpec("abuser.dob", "Their date of birth, if known", "date"),
    FieldSpec("abuser.flags", "About the alleged abuser", "checkboxes"),
    FieldSpec("abuser.role", "Their role or job, if relevant", "text"),
    FieldSpec("abuser.employment_sector", "Where they work or volunteer", "select"),
    FieldSpec("imagery", "Youth-produced imagery: what applies?", "checkboxes"),
    FieldSpec("significant_harm_suspected", "Is significant harm suspected?", "yesno"),
    FieldSpec("risk_factors", "Risk factors known", "checkboxes"),
)
"""The fields of the form, a child's written once as `child.<field>` (their messages:
`messages.MESSAGES["raise_concern"]`); when the concern was received is `work_forms`'s."""

_LABELS = {s.name: s.label for s in CONCERN_FIELDS}
_KINDS = {s.name: s.kind for s in CONCERN_FIELDS}
_ANCHORS = {"significant_harm_suspected": "significant-harm"}
"""Inputs whose id is not `anchor_of` their name."""


def _generic(name: str) -> str:
    """`child3.age` -> `child.age`."""
    head, dot, rest = name.partition(".")
    return f"child.{rest}" if dot and head.startswith("child") and head[5:].isdigit() else name


def _problem(
    form: WorkForm, name: str, problem: Problem, parts: Sequence[str] = (), **values: str
) -> None:
    """A problem beside the field `name`, worded by `messages` (the new-concern form's)."""
    anchor = _ANCHORS.get(name, anchor_of(name)) + (f"-{parts[0]}" if parts else "")
    text = messages.message(
        "raise_concern", name, problem, _LABELS.get(_generic(name), ""), **values
    )
    form.problem(name, text, anchor, parts)


def _date(form: WorkForm, name: str) -> date | None:
    """A GOV.UK date input (`<name>-day`, `-month`, `-year`); None when blank or after recording
    the problem against `name`."""
    found = read_date(form.values, name)
    if isinstance(found, FormProblem):
        _problem(form, name, found.problem, found.parts, **found.values)
        return None
    return found


def _identifier(form: WorkForm, name: str, check: Any) -> str | None:
    raw = form.one(name)
    if not raw:
        return None
    try:
        value: str = check(raw[:40])
    except InvalidIdentifier as exc:
        _problem(form, name, Problem.INVALID, reason=exc.reason)
        return None
    return value


def _child(form: WorkForm, i: int, today: date) -> dict[str, Any] | None:
    p = f"child{i}."
    name = form.one(p + "name")[:300]
    typed = any(form.one(k) for k in _child_keys(i) if k != p + "name")
    if not name:
        if typed:
            _problem(form, p + "name", Problem.MISSING)
        return None
    child: dict[str, Any] = {"name": name}
    born = _date(form, p + "dob")
    expected = _date(form, p + "edd")
    if born is not None and expected is not None:
        _problem(form, p + "edd", Problem.CONFLICT, _DATE_PARTS)
    elif born is not None and born > today:
        _problem(form, p + "dob", Problem.OUT_OF_RANGE, _DATE_PARTS)
    if born is not None:
        child["date_of_birth"] = born
    if expected is not None:
        child["expected_date_of_birth"] = expected
    age = form.one(p + "age")
    if age:
        # ASCII digits, short: "²" passes isdigit() but not int(), 5,000 digits neither
        if not (age.isascii() and age.isdigit()) or len(age) > 2:
            _problem(form, p + "age", Problem.INVALID)
        elif int(age) > 25:
            _problem(form, p + "age", Problem.OUT_OF_RANGE)
        else:
            child["age"] = int(age)
    for field, choices in (("sex", "sex"), ("ethnicity", "ethnicity")):
        raw = form.one(p + field)
        if raw:
            if raw not in {v for v, _ in CONCERN_CHOICES[choices]}:
                _problem(form, p + field, Problem.INVALID)
            else:
                child[field] = raw
    nhs = _identifier(form, p + "nhs_number", normalise_nhs_number)
    if nhs is not None:
        child["nhs_number"] = nhs
    upn = _identifier(form, p + "upn", normalise_upn)
    if upn is not None:
        child["upn"] = upn
    disabilities = form.many(p + "disabilities")
    known = {v for v, _ in CONCERN_CHOICES["disabilities"]}
    if any(d not in known for d in disabilities) or len(set(disabilities)) != len(disabilities):
        _problem(form, p + "disabilities", Problem.INVALID)
    elif Disability.NONE.value in disabilities and len(disabilities) > 1:
        _problem(form, p + "disabilities", Problem.CONFLICT)
    elif disabilities:
        child["disabilities"] = disabilities
    flags = set(form.many(p + "flags"))
    for flag in CHILD_FLAGS:
        child[flag] = flag in flags
    child["sen"] = form.one(p + "sen") == "yes" or "sen" in flags
    return child


def _abuser(form: WorkForm, today: date) -> dict[str, Any] | None:
    kind = form.one("abuser.kind")
    if not kind:
        return None
    if kind not in {k.value for k in AbuserKind}:
        _problem(form, "abuser.kind", Problem.INVALID)
        return None
    abuser: dict[str, Any] = {"kind": kind}
    name = form.one("abuser.name")[:300]
    if name:
        abuser["name"] = name
    born = _date(form, "abuser.dob")
    if born is not None:
        if born > today:
            _problem(form, "abuser.dob", Problem.OUT_OF_RANGE, _DATE_PARTS)
        abuser["date_of_birth"] = born
    flags = set(form.many("abuser.flags"))
    for flag in ABUSER_FLAGS:
        abuser[flag] = flag in flags
    role = form.one("abuser.role")
    if role:
        abuser["role"] = role[:300]
    sector = form.one("abuser.employment_sector")
    if sector:
        if sector not in {s.value for s in EmploymentSector}:
            _problem(form, "abuser.employment_sector", Problem.INVALID)
        else:
            abuser["employment_sector"] = sector
    return abuser


_MODEL_FIELDS = {"date_of_birth": "dob", "expected_date_of_birth": "edd"}


def _field_of(loc: Sequence[int | str]) -> str:
    """The form field of a pydantic error location (`children.0.name` -> `child1.name`,
    `children.0.date_of_birth` -> `child1.dob`)."""
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "children" and parts[1].isdigit():
        name = parts[2] if len(parts) > 2 else "name"
        return f"child{int(parts[1]) + 1}.{_MODEL_FIELDS.get(name, name)}"
    if parts and parts[0] == "alleged_abuser":
        name = parts[1] if len(parts) > 1 else "kind"
        return f"abuser.{_MODEL_FIELDS.get(name, name)}"
    return parts[0] if parts else "category"


def read_concern(form: WorkForm, *, now: datetime) -> Concern | None:
    """The concern the form describes, or None after recording every problem in `form`."""
    today = london_date(now)
    category = form.one("category")
    if not category:
        _problem(form, "category", Problem.MISSING)
    children = [c for i in range(1, child_blocks(form) + 1) if (c := _child(form, i, today))]
    facts: dict[str, Any] = {"category": category, "children": children}
    abuser = _abuser(form, today)
    if abuser is not None:
        facts["alleged_abuser"] = abuser
    if not children and abuser is None and form.ok:
        # the service's rule (casework.NO_CHILD), said where the practitioner can act on it
        form.problem(
            "child1.name",
            "Enter the name (or initials) of at least one child, or who the concern is about",
            anchor_of("child1.name"),
        )
    imagery = set(form.many("imagery"))
    if imagery:
        facts["imagery"] = {k: k in imagery for k in IMAGERY}
    harm = form.one("significant_harm_suspected")
    if harm:
        if harm not in ("yes", "no"):
            _problem(form, "significant_harm_suspected", Problem.INVALID)
        else:
            facts["significant_harm_suspected"] = harm == "yes"
    facts["risk_factors"] = form.many("risk_factors")
    occurred: datetime | None = now
    if any(form.one(f"{WHEN}-{part}") for part in (*_DATE_PARTS, "time")):
        occurred = when_from_form(
            form, now=now, prefix="concern", what="when the concern was received"
        )
    if not form.ok:
        return None
    try:
        parsed = CaseFacts.model_validate(facts)
    except ValidationError as exc:
        for loc, kind in error_kinds(exc)[:5]:
            field = _field_of(loc)
            field_kind = _KINDS.get(_generic(field), "")
            parts = _DATE_PARTS if field_kind == "date" else ()
            if field not in form.error_for:
                _problem(form, field, messages.problem_of(kind, field_kind), parts)
        return None
    assert occurred is not None
    return Concern(parsed, occurred)
