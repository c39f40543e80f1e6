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
from esafety_flow.web.forms import label_of
from esafety_flow.web.work_forms import WHEN, WorkForm, when_from_form
from states import (
    AbuserKind,
    CaseFacts,
    Category,
    EmploymentSector,
    InvalidIdentifier,
    RiskFactor,
    normalise_nhs_number,
    normalise_upn,
)
from states.census import Disability, Ethnicity, Sex

__all__ = [
    "CHILD_BLOCKS_LIMIT",
    "CONCERN_CHOICES",
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


def _date(form: WorkForm, name: str, what: str) -> date | None:
    """A GOV.UK date input (`<name>-day`, `-month`, `-year`); None when blank or after recording
    the problem against `name`."""
    parts = {p: form.one(f"{name}-{p}") for p in _DATE_PARTS}
    base = anchor_of(name)

    def wrong(message: str, *bad: str) -> None:
        form.problem(name, message, f"{base}-{bad[0]}", bad)

    missing = [p for p in _DATE_PARTS if not parts[p]]
    if len(missing) == 3:
        return None
    what_ = what[:1].upper() + what[1:]
    if missing:
        wrong(f"{what_} must include a {' and a '.join(missing)}", *missing)
        return None
    bad = [p for p in _DATE_PARTS if not (parts[p].isascii() and parts[p].isdigit())]
    bad += [p for p in _DATE_PARTS if p not in bad and len(parts[p]) > 4]
    if bad:
        wrong(f"{what_} must be a real date", *bad)
        return None
    if len(parts["year"]) != 4:
        wrong(f"The year of {what} must include 4 numbers, for example 2014", "year")
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        wrong(f"{what_} must be a real date", *_DATE_PARTS)
        return None


def _identifier(form: WorkForm, name: str, label: str, check: Any) -> str | None:
    raw = form.one(name)
    if not raw:
        return None
    try:
        value: str = check(raw[:40])
    except InvalidIdentifier as exc:
        form.problem(name, f"{label}: {exc.reason}", anchor_of(name))
        return None
    return value


def _child(form: WorkForm, i: int, today: date) -> dict[str, Any] | None:
    p = f"child{i}."
    name = form.one(p + "name")[:300]
    typed = any(form.one(k) for k in _child_keys(i) if k != p + "name")
    if not name:
        if typed:
            form.problem(
                p + "name", f"Enter the name (or initials) of child {i}", anchor_of(p + "name")
            )
        return None
    child: dict[str, Any] = {"name": name}
    born = _date(form, p + "dob", f"the date of birth of child {i}")
    expected = _date(form, p + "edd", f"the expected date of birth of child {i}")
    if born is not None and expected is not None:
        form.problem(
            p + "edd",
            f"Give child {i}'s date of birth or, for a child not yet born, the expected date of "
            "birth, not both",
            f"{anchor_of(p + 'edd')}-day",
            _DATE_PARTS,
        )
    elif born is not None and born > today:
        form.problem(
            p + "dob",
            f"The date of birth of child {i} must be today or in the past: for a child not yet "
            "born, give the expected date of birth",
            f"{anchor_of(p + 'dob')}-day",
            _DATE_PARTS,
        )
    if born is not None:
        child["date_of_birth"] = born
    if expected is not None:
        child["expected_date_of_birth"] = expected
    age = form.one(p + "age")
    if age:
        # ASCII digits, short: "²" passes isdigit() but not int(), 5,000 digits neither
        if not (age.isascii() and age.isdigit()) or len(age) > 2 or int(age) > 25:
            form.problem(
                p + "age",
                f"The age of child {i} must be a whole number of years",
                anchor_of(p + "age"),
            )
        else:
            child["age"] = int(age)
    for field, choices in (("sex", "sex"), ("ethnicity", "ethnicity")):
        raw = form.one(p + field)
        if raw:
            if raw not in {v for v, _ in CONCERN_CHOICES[choices]}:
                form.problem(
                    p + field,
                    f"Choose the {field} of child {i} from the list",
                    anchor_of(p + field),
                )
            else:
                child[field] = raw
    nhs = _identifier(form, p + "nhs_number", f"The NHS number of child {i}", normalise_nhs_number)
    if nhs is not None:
        child["nhs_number"] = nhs
    upn = _identifier(form, p + "upn", f"The UPN of child {i}", normalise_upn)
    if upn is not None:
        child["upn"] = upn
    disabilities = form.many(p + "disabilities")
    known = {v for v, _ in CONCERN_CHOICES["disabilities"]}
    if any(d not in known for d in disabilities) or len(set(disabilities)) != len(disabilities):
        form.problem(
            p + "disabilities",
            f"Choose the disabilities of child {i} from the list",
            anchor_of(p + "disabilities"),
        )
    elif Disability.NONE.value in disabilities and len(disabilities) > 1:
        form.problem(
            p + "disabilities",
            f"Child {i}: choose 'None' or the disabilities, not both",
            anchor_of(p + "disabilities"),
        )
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
        form.problem("abuser.kind", "Choose who the alleged abuser is from the list", "abuser-kind")
        return None
    abuser: dict[str, Any] = {"kind": kind}
    name = form.one("abuser.name")[:300]
    if name:
        abuser["name"] = name
    born = _date(form, "abuser.dob", "the alleged abuser's date of birth")
    if born is not None:
        if born > today:
            form.problem(
                "abuser.dob",
                "The alleged abuser's date of birth must be in the past",
                "abuser-dob-day",
                _DATE_PARTS,
            )
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
            form.problem(
                "abuser.employment_sector",
                "Choose the employment sector from the list",
                "abuser-employment-sector",
            )
        else:
            abuser["employment_sector"] = sector
    return abuser


def _field_of(loc: Sequence[int | str]) -> str:
    """The form field of a pydantic error location (`children.0.name` -> `child1.name`)."""
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "children" and parts[1].isdigit():
        return f"child{int(parts[1]) + 1}." + ".".join(parts[2:] or ["name"])
    if parts and parts[0] == "alleged_abuser":
        return "abuser." + ".".join(parts[1:] or ["kind"])
    return ".".join(parts) or "category"


def read_concern(form: WorkForm, *, now: datetime) -> Concern | None:
    """The concern the form describes, or None after recording every problem in `form`."""
    today = london_date(now)
    category = form.one("category")
    if not category:
        form.problem("category", "Choose the kind of online harm", "category")
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
            form.problem("significant_harm_suspected", "Answer yes or no", "significant-harm")
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
        for item in exc.errors()[:5]:
            field = _field_of(item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            form.problem(field, f"{label_of(field.replace('.', ' '))}: {message}", anchor_of(field))
        return None
    assert occurred is not None
    return Concern(parsed, occurred)
