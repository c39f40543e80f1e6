"""A case's statutory episodes, read from its log: the dates the returns are built from.

Pure: no I/O, no clock. `episodes_of(history, deadlines)` walks the log as it now reads
(`effective_history`: corrected events at their corrected times) and gives each referral of the
case with what followed it, in the terms of the CIN census (DESIGN 8) and Ofsted's Annex A:

- a `Referral` starts at `refer` (and again at `escalate`, a fresh referral from early help); its
  source and primary need are the `refer` data's census items. It ends when the case closes
  (`close`: its reason for closure) or steps down to early help (`step_down`: after an
  assessment, RC9 "referred to early help"; before any, a referral with no further action, RC8);
- an `Assessment` starts at `start_assessment`, or at `convene_strategy_discussion` where that
  starts the single assessment; `complete_assessment` submits it with its factors,
  `return_assessment` sends it back, `authorise_assessment` authorises it (the date the census
  counts the 45 working days to);
- a `Section47` starts at `start_section_47`; its initial child protection conference target is
  the due date of the conference deadline it started, its conference the `hold_conference` that
  met it; a strategy discussion held during it that answered `icpc_required: false` marks the
  conference as not required;
- a `Plan` (child protection plan) starts at a `hold_conference` with a plan, with its initial
  category of abuse; each `hold_review_conference` is a review (and may change the latest
  category); it ends when a review ends the plan or the case closes.

A referral ends whenever child protection closes: `close`, a conference that makes no plan with
no assessment running, a review that ends the plan (each may carry `reason_for_closure`).

Dates are Europe/London dates. Every child of the case shares its episodes (the census is per
child: each child's record repeats them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from calendars import london_date
from states import DeadlineKind, Event
from workflows.domain import CaseEvent, Deadline, effective_history

__all__ = ["Assessment", "Plan", "Referral", "Section47", "episodes_of"]


@dataclass(frozen=True)
class Assessment:
    start: date
    completed: date | None = None
    authorised: date | None = None
    factors: tuple[str, ...] = ()
    completed_by: str | None = None
    authorised_by: str | None = None


@dataclass(frozen=True)
class Section47:
    start: date
    icpc_target: date | None = None
    icpc: date | None = None
    icpc_not_required: bool = False


@dataclass(frozen=True)
class Plan:
    start: date
    end: date | None = None
    initial_category: str | None = None
    latest_category: str | None = None
    reviews: tuple[date, ...] = ()


@dataclass(frozen=True)
class Referral:
    """One referral episode and what followed it."""

    referral_date: date
    source: str | None = None
    primary_need: str | None = None
    referred_to: tuple[str, ...] = ()
    closure_date: date | None = None
    reason_for_closure: str | None = None
    no_further_action: bool = False
    assessments: tuple[Assessment, ...] = ()
    section_47s: tuple[Section47, ...] = ()
    plans: tuple[Plan, ...] = ()
    strategy_discussions: tuple[date, ...] = ()
    outcome: str | None = None

    @property
    def icpc(self) -> date | None:
        """The date of the referral's first initial child protection conference."""
        dates = [s.icpc for s in self.section_47s if s.icpc is not None]
        return min(dates) if dates else None


@dataclass
class _Open:
    """The referral being walked: its items and groups as plain mutable values (the names of
    `Referral`, `Assessment`, `Section47` and `Plan` fields), made into those frozen values once
    it ends (`frozen`), so that a step changes one item instead of copying the referral."""

    items: dict[str, Any]
    assessments: list[dict[str, Any]] = field(default_factory=list)
    section_47s: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    strategy_discussions: list[date] = field(default_factory=list)

    def open_plan(self) -> dict[str, Any] | None:
        return self.plans[-1] if self.plans and self.plans[-1].get("end") is None else None

    def frozen(self) -> Referral:
        return Referral(
            **self.items,
            assessments=tuple(Assessment(**a) for a in self.assessments),
            section_47s=tuple(Section47(**s) for s in self.section_47s),
            plans=tuple(Plan(**{**p, "reviews": tuple(p["reviews"])}) for p in self.plans),
            strategy_discussions=tuple(self.strategy_discussions),
        )


@dataclass
class _Walk:
    done: list[Referral] = field(default_factory=list)
    current: _Open | None = None
    icpc_targets: list[date] = field(default_factory=list)

    def end(self, day: date, reason: str | None, *, nfa: bool, outcome: str | None) -> None:
        if self.current is None:
            return
        plan = self.current.open_plan()
        if plan is not None:
            plan["end"] = day
        self.current.items.update(
            closure_date=day, reason_for_closure=reason, no_further_action=nfa, outcome=outcome
        )
        self.done.append(self.current.frozen())
        self.current = None


def _icpc_targets(deadlines: Sequence[Deadline]) -> list[date]:
    found = [d for d in deadlines if d.kind is DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE]
    return [d.due_date for d in sorted(found, key=lambda d: (d.id or 0, d.anchor_at))]


def episodes_of(
    history: Sequence[CaseEvent], deadlines: Sequence[Deadline]
) -> tuple[Referral, ...]:
    """The case's referrals, oldest first (see the module docstring)."""
    walk = _Walk(icpc_targets=_icpc_targets(deadlines))
    for e in effective_history(history):
        if not e.is_transition or e.event is None:
            continue
        _step(walk, Event(e.event), london_date(e.at), e.data, e.actor)
        if e.to_state == "closed" and e.machine == "child_protection" and walk.current:
            walk.end(
                london_date(e.at),
                e.data.get("reason_for_closure"),
                nfa=not walk.current.assessments and not walk.current.section_47s,
                outcome=e.data.get("outcome"),
            )
    if walk.current is not None:
        walk.done.append(walk.current.frozen())
    return tuple(walk.done)


def _step(walk: _Walk, ev: Event, day: date, data: dict[str, Any], actor: str) -> None:
    if ev in (Event.REFER, Event.ESCALATE):
        if walk.current is not None:
            walk.end(day, None, nfa=not walk.current.assessments, outcome=None)
        walk.current = _Open(
            items={
                "referral_date": day,
                "source": data.get("referral_source"),
                "primary_need": data.get("primary_need"),
                "referred_to": tuple(data.get("referred_to") or ()),
            }
        )
        return
    current = walk.current
    if current is None:
        return
    assessment = current.assessments[-1] if current.assessments else None
    if ev is Event.START_ASSESSMENT or (
        ev is Event.CONVENE_STRATEGY_DISCUSSION and assessment is None
    ):
        current.assessments.append({"start": day})
    elif ev is Event.COMPLETE_ASSESSMENT and assessment is not None:
        factors = tuple(str(f) for f in data.get("factors") or ())
        assessment.update(completed=day, factors=factors, completed_by=actor)
    elif ev is Event.RETURN_ASSESSMENT and assessment is not None:
        assessment.update(completed=None, completed_by=None)
    elif ev is Event.AUTHORISE_ASSESSMENT and assessment is not None:
        assessment.update(authorised=day, authorised_by=actor)
    elif ev is Event.HOLD_STRATEGY_DISCUSSION:
        current.strategy_discussions.append(day)
        answers = data.get("considerations") or {}
        if current.section_47s and answers.get("icpc_required") is False:
            current.section_47s[-1]["icpc_not_required"] = True
    elif ev is Event.START_SECTION_47:
        index = sum(len(r.section_47s) for r in walk.done) + len(current.section_47s)
        target = walk.icpc_targets[index] if index < len(walk.icpc_targets) else None
        current.section_47s.append({"start": day, "icpc_target": target})
    elif ev is Event.HOLD_CONFERENCE:
        if current.section_47s:
            current.section_47s[-1]["icpc"] = day
        if data.get("outcome") == "child_protection_plan":
            category = data.get("category_of_abuse")
            current.plans.append(
                {
                    "start": day,
                    "initial_category": category,
                    "latest_category": category,
                    "reviews": [],
                }
            )
    elif ev is Event.HOLD_REVIEW_CONFERENCE:
        _review(current, day, data)
    elif ev is Event.STEP_DOWN:
        after_assessment = bool(current.assessments)
        # the census's reasons: RC9 after an assessment; a referral that goes no further than
        # early help is a referral with no further action, closed as RC8; after a Section 47
        # enquiry RC8 and RC9 may not be used (rule 2990): RC7, services ceased
        reason = "RC9" if after_assessment else "RC8"
        walk.end(
            day,
            "RC7" if current.section_47s else reason,
            nfa=not after_assessment,
            outcome="step_down",
        )


def _review(current: _Open, day: date, data: dict[str, Any]) -> None:
    plan = current.open_plan()
    if plan is None:
        return
    plan["reviews"].append(day)
    plan["latest_category"] = data.get("category_of_abuse") or plan["latest_category"]
    if data.get("outcome") == "plan_ended":
        plan["end"] = day
