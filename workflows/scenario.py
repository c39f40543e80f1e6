"""Scenario files: replay a case with frozen time (DESIGN 6 and 6.1).

    scenario = load_scenario(path)          # strict: ScenarioError naming the step, nothing run
    result = run_scenario(scenario)         # a fresh in-memory SQLite database, or database_url=
    print(json.dumps(result))               # the DESIGN 6 document

A scenario names a region and a policy (a built-in name, or a TOML variant file relative to the
scenario), the facts of the concern (`case`) and its steps. Each step has `at` (ISO 8601; without
an offset it is Europe/London local time) and either an `event` (the first step is
`raise_concern`; later ones name DESIGN 2 events, with `data`) or `sweep: true` (run the deadline
sweep at that moment). Steps are in time order.

Checked before anything runs (`ScenarioError`, naming the step): unknown fields, bad dates, unknown
event names, event data that does not fit the event, a step before the previous one, a missing
first `raise_concern`. While replaying, the clock is frozen at each step's `at` and every change
goes through the use-case services (`workflows.casework`, ...); a step the machines refuse goes
to `rejected` with its reason and the replay goes on.

Output fields (more may be added, none renamed):
- `state`, `allegation_state`, `required_actions`;
- `history`: the transitions after `raise_concern` (`at`, `event`, `machine`, `from`, `to`);
- `rejected`: `at`, `event`, `reason`;
- `deadlines`: `kind`, `due_date` (London date), `due_at`, `status` as judged at the last step's
  time (`open`, `overdue`, `met`, `missed`, `cancelled`), `met_at`;
- `alerts`: `at` (when the sweep produced it), `due_at` (when its level was reached),
  `deadline`, `level`, `to` (`owner`, `manager`, `head_of_service`).
Instants are UTC, ISO 8601 with `Z`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from calendars import CalendarError, FixedClock, Region, parse_instant
from states import (
    CaseFacts,
    Event,
    InvalidEventData,
    Policy,
    StatesError,
    UnknownEvent,
    as_event,
    load_policy,
    parse_event_data,
    policy_by_name,
)
from workflows import calendar_days, casework, deadline_alerts, organisation
from workflows.domain import CaseEventKind
from workflows.errors import InvalidStep, TransitionRefused, WorkflowError
from workflows.persistence import SessionFactory, make_engine, make_session_factory, upgrade

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioRun",
    "ScenarioStep",
    "load_scenario",
    "parse_scenario",
    "replay_scenario",
    "run_scenario",
]

ACTOR = "scenario"


class ScenarioError(WorkflowError):
    """A scenario file that cannot be replayed; the message names the step or field."""


class ScenarioStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    event: str | None = None
    data: dict[str, Any] | None = None
    sweep: bool = False
    actor: str = ACTOR

    @field_validator("at", mode="before")
    @classmethod
    def _instant(cls, value: Any) -> datetime:
        if not isinstance(value, str):
            raise ValueError(f"expected an ISO 8601 date-time in quotes, got {value!r}")
        try:
            return parse_instant(value)
        except CalendarError as exc:
            raise ValueError(str(exc)) from None


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str | None = None
    region: str = Region.ENGLAND_AND_WALES.value
    policy: str = "england-2023"
    case: dict[str, Any] = Field(default_factory=dict)
    steps: list[ScenarioStep]


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: `at: 2026-03-02 10:15:00` stays text, so it is read as
    London time by `parse_instant` rather than silently as UTC."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _where(loc: tuple[Any, ...], raw: Mapping[str, Any]) -> str:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        rest = ".".join(str(p) for p in loc[2:])
        return f"step {loc[1] + 1}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "scenario"


def parse_scenario(raw: Any, *, base_dir: Path | None = None) -> tuple[Scenario, Policy]:
    """Check a scenario document completely; returns it with its policy."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"a scenario is a mapping of fields, got {type(raw).__name__}")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(tuple(e['loc']), raw)}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ScenarioError(problems) from None
    try:
        Region.parse(scenario.region)
    except ValueError as exc:
        raise ScenarioError(f"region: {exc}") from None
    policy = _policy(scenario.policy, base_dir)
    try:
        CaseFacts.model_validate(scenario.case)
    except ValidationError as exc:
        problems = "; ".join(
            f"case.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ScenarioError(problems) from None
    if not scenario.steps:
        raise ScenarioError("steps: the first step must be raise_concern; there are no steps")
    previous: datetime | None = None
    for number, step in enumerate(scenario.steps, start=1):
        label = f"step {number} (at {step.at.isoformat()})"
        if step.sweep == (step.event is not None):
            raise ScenarioError(f"{label}: give either an event or sweep: true")
        if step.sweep and step.data is not None:
            raise ScenarioError(f"{label}: a sweep step takes no data")
        if previous is not None and step.at < previous:
            raise ScenarioError(
                f"{label}: is before the previous step ({previous.isoformat()}); "
                "steps must be in time order"
            )
        previous = step.at
        if number == 1 and step.event != Event.RAISE_CONCERN.value:
            raise ScenarioError(f"{label}: the first step must be raise_concern")
        if step.event is None:
            continue
        try:
            event = as_event(step.event)
        except UnknownEvent as exc:
            raise ScenarioError(f"{label}: {exc}") from None
        if event is Event.RAISE_CONCERN:
            if number != 1:
                raise ScenarioError(f"{label}: raise_concern only opens the case (step 1)")
            if step.data:
                raise ScenarioError(f"{label}: raise_concern takes its facts from `case`, not data")
            continue
        try:
            parse_event_data(event, step.data)
        except StatesError as exc:
            raise ScenarioError(f"{label}: {exc}") from None
    return scenario, policy


def _policy(name: str, base_dir: Path | None) -> Policy:
    try:
        if name.endswith(".toml"):
            path = Path(name)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            return load_policy(path)
        return policy_by_name(name)
    except (StatesError, OSError) as exc:
        raise ScenarioError(f"policy: {exc}") from None


def load_scenario(path: str | Path) -> tuple[Scenario, Policy]:
    """Read and check a scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {exc}") from None
    return parse_scenario(raw, base_dir=path.parent)


def _iso(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class _Org:
    team_id: int
    owner_id: int


def _create_org(sf: SessionFactory, at: datetime) -> _Org:
    """A team with an owner, a manager and a head of service, so that alerts have recipients."""
    tag = uuid.uuid4().hex[:8]
    team_id = organisation.create_team(sf, name=f"scenario team {tag}")
    ids = {
        who: organisation.create_user(
            sf,
            username=f"scenario-{who}-{tag}",
            display_name=f"Scenario {who.replace('_', ' ')}",
            email=f"{who}-{tag}@scenario.invalid",
            role=role,
            at=at,
            team_id=team_id,
        )
        for who, role in (
            ("owner", "practitioner"),
            ("manager", "manager"),
            ("head_of_service", "manager"),
        )
    }
    organisation.set_team_managers(
        sf, team_id, manager_id=ids["manager"], head_of_service_id=ids["head_of_service"]
    )
    return _Org(team_id=team_id, owner_id=ids["owner"])


@dataclass(frozen=True)
class ScenarioRun:
    """A replayed scenario: its case's id in the database and the DESIGN 6 document."""

    case_id: int
    document: dict[str, Any]


def replay_scenario(sf: SessionFactory, scenario: Scenario, policy: Policy) -> ScenarioRun:
    """Replay a checked scenario into the (migrated, empty) database behind `sf`."""
    region = Region.parse(scenario.region)
    clock = FixedClock(scenario.steps[0].at)
    org = _create_org(sf, clock.now())
    calendar = calendar_days.load_calendar(sf, region)

    def policy_for(name: str) -> Policy:
        return policy if name == policy.name else policy_by_name(name)

    first = scenario.steps[0]
    case = casework.raise_concern(
        sf,
        facts=scenario.case,
        at=clock.now(),
        actor=first.actor,
        region=region,
        policy=policy,
        calendar=calendar,
        owner_id=org.owner_id,
        team_id=org.team_id,
        reference=f"SCN-{uuid.uuid4().hex[:8].upper()}",
    )
    assert case.id is not None
    rejected: list[dict[str, Any]] = []
    for step in scenario.steps[1:]:
        clock.set(step.at)
        if step.sweep:
            deadline_alerts.sweep(sf, clock.now(), lambda _r: calendar, policy_for)
            continue
        assert step.event is not None
        try:
            casework.apply_event(
                sf,
                case.id,
                step.event,
                at=clock.now(),
                actor=step.actor,
                data=step.data,
                calendar=calendar,
                policy=policy,
            )
        except (TransitionRefused, InvalidStep, InvalidEventData) as exc:
            rejected.append({"at": _iso(clock.now()), "event": step.event, "reason": str(exc)})
    return ScenarioRun(case.id, _document(sf, case.id, clock.now(), rejected))


def run_scenario(
    scenario: Scenario,
    policy: Policy | None = None,
    *,
    database_url: str = "sqlite:///:memory:",
) -> dict[str, Any]:
    """Replay a checked scenario against a fresh database; returns the DESIGN 6 document."""
    if policy is None:
        policy = _policy(scenario.policy, None)
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        return replay_scenario(make_session_factory(engine), scenario, policy).document
    finally:
        engine.dispose()


def _document(
    sf: SessionFactory, case_id: int, as_of: datetime, rejected: list[dict[str, Any]]
) -> dict[str, Any]:
    case = casework.get_case(sf, case_id, with_history=True)
    kinds = {d.id: d.kind.value for d in case.deadlines}
    return {
        "state": case.state.value,
        "allegation_state": case.allegation_state.value if case.allegation_state else None,
        "required_actions": [a.value for a in case.required_actions],
        "history": [
            {
                "at": _iso(e.at),
                "event": e.event,
                "machine": e.machine,
                "from": e.from_state,
                "to": e.to_state,
            }
            for e in case.history
            if e.kind is CaseEventKind.TRANSITION and e.event != Event.RAISE_CONCERN.value
        ],
        "rejected": rejected,
        "deadlines": [
            {
                "kind": d.kind.value,
                "due_date": d.due_date.isoformat(),
                "due_at": _iso(d.due_at),
                "status": d.status_at(as_of),
                "met_at": _iso(d.met_at),
            }
            for d in case.deadlines
        ],
        "alerts": [
            {
                "at": _iso(a.created_at),
                "due_at": _iso(a.due_at),
                "deadline": kinds.get(a.deadline_id, a.deadline_kind),
                "level": a.level,
                "to": a.recipient_role,
            }
            for a in deadline_alerts.list_alerts(sf, case_id=case_id)
        ],
    }
