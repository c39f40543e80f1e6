"""Scenario files: replay a case with frozen time (DESIGN 6 and 6.1).

    scenario, policy = load_scenario(path)  # strict: ScenarioError naming the step, nothing run
    result = run_scenario(scenario, policy) # a fresh in-memory SQLite database, or database_url=
    print(json.dumps(result))               # the DESIGN 6 document

A scenario names a region and a policy (a built-in name, or a TOML variant file relative to the
scenario), optionally its organisation (`users:`), the facts of the concern (`case`) and its
steps. Each step has `at` (ISO 8601; without an offset it is Europe/London local time) and either
an `event` (the first step is `raise_concern`; later ones name DESIGN 2 events, with `data`) or
`sweep: true` (run the deadline sweep at that moment). An event step's `at` is when the event
happened; its optional `recorded_at` (default `at`) is when it was written down, and the clock is
frozen there. `by` names the user acting (default `worker`). Steps come in `recorded_at` order.

Malformed (`ScenarioError`, naming the step and the field, nothing replayed): unknown fields,
wrong types, bad dates, unknown event names, a child identifier that fails its check, data that
does not fit its event, a step recorded before the previous one, an unknown `by`, a
`correct_date` that names no earlier event step. Everything else is replayed through the same
use-case services and permission rules as the web app; a step they refuse goes to `rejected`
with its reason and the replay goes on.

Without `users:` the organisation is a team with a practitioner `worker` (the case's owner), a
manager `manager` and a head of service `head`. With it, the case's owner is the first
practitioner listed.

Output fields (more may be added, none renamed):
- `state`, `allegation_state`, `required_actions`;
- `history`: every event recorded after `raise_concern`, in the order recorded: `at` (when it
  happened, as corrected), `recorded_at`, `by`, `late`, `event`, `machine`, `from`, `to`, and
  `step` (its step number); a `correct_date` entry also has `corrects` (the step, event, old and
  new times and reason);
- `rejected`: `at` (the step's `at`), `event`, `reason`, `step`;
- `deadlines`: `kind`, `due_date` (London date), `due_at`, `status` as judged at the last step's
  time (`open`, `overdue`, `met`, `missed`, `cancelled`), `met_at`;
- `alerts`: `at` (when the sweep produced it), `due_at` (when its level was reached),
  `deadline`, `level`, `to` (`owner`, `manager`, `head_of_service`), `recipient` (a username);
- `superseded`: the levels a late sweep passed over and did not send (DESIGN 3.3).
Instants are UTC, ISO 8601 with `Z`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from sqlalchemy import select

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
from workflows import calendar_days, casework, deadline_alerts, organisation, queries
from workflows.domain import effective_history
from workflows.errors import InvalidStep, TransitionRefused, WorkflowError
from workflows.permissions import Actor, event_refusal
from workflows.persistence import (
    SessionFactory,
    make_engine,
    make_session_factory,
    superseded_alerts,
    upgrade,
    users,
)

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioRun",
    "ScenarioStep",
    "ScenarioUser",
    "load_scenario",
    "parse_scenario",
    "replay_scenario",
    "run_scenario",
]

DEFAULT_ACTOR = "worker"


class ScenarioError(WorkflowError):
    """A scenario file that cannot be replayed; the message names the step or field."""


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date-time in quotes, got {value!r}")
    try:
        return parse_instant(value)
    except CalendarError as exc:
        raise ValueError(str(exc)) from None


class ScenarioStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    recorded_at: datetime | None = None
    event: str | None = None
    data: dict[str, Any] | None = None
    sweep: bool = False
    by: str | None = None

    @field_validator("at", "recorded_at", mode="before")
    @classmethod
    def _instants(cls, value: Any) -> Any:
        return None if value is None else _instant(value)

    @property
    def clock(self) -> datetime:
        """When the step is written down (the clock is frozen here)."""
        return self.recorded_at or self.at


class ScenarioUser(BaseModel):
    """An entry of `users:` (DESIGN 6)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,100}$")]
    role: Literal["practitioner", "manager", "head_of_service", "lado"]
    team: str | None = Field(default=None, min_length=1, max_length=200)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str | None = None
    region: str = Region.ENGLAND_AND_WALES.value
    policy: str = "england-2023"
    users: list[ScenarioUser] | None = None
    case: dict[str, Any] = Field(default_factory=dict)
    steps: list[ScenarioStep]


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: `at: 2026-03-02 10:15:00` stays text, so it is read as
    London time by `parse_instant` rather than silently as UTC."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _where(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        rest = ".".join(str(p) for p in loc[2:])
        return f"step {loc[1] + 1}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "scenario"


def _problems(exc: ValidationError, prefix: str = "") -> str:
    return "; ".join(
        f"{prefix}{_where(tuple(e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
    )


DEFAULT_USERS = (
    ScenarioUser(username="worker", role="practitioner", team="scenario team"),
    ScenarioUser(username="manager", role="manager", team="scenario team"),
    ScenarioUser(username="head", role="head_of_service", team="scenario team"),
)


def _check_users(listed: list[ScenarioUser]) -> None:
    names = [u.username for u in listed]
    doubles = sorted({n for n in names if names.count(n) > 1})
    if doubles:
        raise ScenarioError(f"users: {', '.join(doubles)} listed more than once")
    for i, user in enumerate(listed, start=1):
        if user.role != "lado" and not user.team:
            raise ScenarioError(f"users.{i}: {user.username}: a {user.role} needs a team")
    if not any(u.role == "practitioner" for u in listed):
        raise ScenarioError("users: list at least one practitioner (the case's owner)")


def parse_scenario(raw: Any, *, base_dir: Path | None = None) -> tuple[Scenario, Policy]:
    """Check a scenario document completely; returns it with its policy."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"a scenario is a mapping of fields, got {type(raw).__name__}")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc)) from None
    try:
        Region.parse(scenario.region)
    except ValueError as exc:
        raise ScenarioError(f"region: {exc}") from None
    policy = _policy(scenario.policy, base_dir)
    if scenario.users is not None:
        _check_users(scenario.users)
    known = {u.username for u in (scenario.users or DEFAULT_USERS)}
    try:
        facts = CaseFacts.model_validate(scenario.case)
    except ValidationError as exc:
        problems = "; ".join(
            f"step 1: case.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ScenarioError(problems) from None
    if not facts.children and facts.alleged_abuser is None:
        raise ScenarioError(f"step 1: case.children: {casework.NO_CHILD}")
    if not scenario.steps:
        raise ScenarioError("steps: the first step must be raise_concern; there are no steps")
    previous: datetime | None = None
    for number, step in enumerate(scenario.steps, start=1):
        label = f"step {number} (at {step.at.isoformat()})"
        if step.sweep == (step.event is not None):
            raise ScenarioError(f"{label}: give either an event or sweep: true")
        if step.sweep and (step.data is not None or step.by or step.recorded_at):
            raise ScenarioError(f"{label}: a sweep step takes no data, by or recorded_at")
        if previous is not None and step.clock < previous:
            raise ScenarioError(
                f"{label}: is recorded before the previous step ({previous.isoformat()}); "
                "steps must be in recorded_at order"
            )
        previous = step.clock
        if step.by is not None and step.by not in known:
            raise ScenarioError(
                f"{label}: by: no user {step.by!r} (known: {', '.join(sorted(known))})"
            )
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
        data = dict(step.data or {})
        if event is Event.CORRECT_DATE:
            _check_corrected_step(scenario, number, data.pop("step", None), label)
        try:
            parse_event_data(event, data)
        except StatesError as exc:
            raise ScenarioError(f"{label}: {exc}") from None
    return scenario, policy


def _check_corrected_step(scenario: Scenario, number: int, named: Any, label: str) -> None:
    """`correct_date` names the corrected event by its step number (DESIGN 6)."""
    if named is None:
        return  # incomplete: the guard refuses it, as the web app would
    if isinstance(named, bool) or not isinstance(named, int):
        raise ScenarioError(f"{label}: data.step: should be a step number, got {named!r}")
    if not 1 <= named < number:
        raise ScenarioError(
            f"{label}: data.step: {named} is not an earlier step (this is step {number})"
        )
    if scenario.steps[named - 1].event is None:
        raise ScenarioError(f"{label}: data.step: step {named} is a sweep, not an event")


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
    except UnicodeDecodeError:
        raise ScenarioError(f"cannot read {path}: not UTF-8 text") from None
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {exc}") from None
    return parse_scenario(raw, base_dir=path.parent)


def _iso(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Org:
    """The scenario's organisation: each user as an `Actor`, and the case's owner."""

    actors: dict[str, Actor] = field(default_factory=dict)
    owner: str = DEFAULT_ACTOR


def _create_org(sf: SessionFactory, listed: tuple[ScenarioUser, ...], at: datetime) -> _Org:
    """Teams and users of `users:` (or the default organisation). A team's manager is its first
    manager, its head of service its first head of service (stored as a manager)."""
    team_ids: dict[str, int] = {}
    with sf() as session:
        existing = {
            r.username: r.id for r in session.execute(select(users.c.username, users.c.id)).all()
        }
    for user in listed:
        if user.team and user.team not in team_ids:
            found = [t for t in organisation.list_teams(sf) if t.name == user.team]
            team_ids[user.team] = (
                found[0].id if found else organisation.create_team(sf, name=user.team)
            )
    ids: dict[str, int] = {}
    for user in listed:
        ids[user.username] = existing.get(user.username) or organisation.create_user(
            sf,
            username=user.username,
            display_name=user.username,
            email=f"{user.username}@scenario.invalid",
            role="manager" if user.role == "head_of_service" else user.role,
            at=at,
            team_id=team_ids.get(user.team) if user.team else None,
        )
    managed: dict[str, set[int]] = {u.username: set() for u in listed}
    for name, team_id in team_ids.items():
        members = [u for u in listed if u.team == name]
        manager = next((u for u in members if u.role == "manager"), None)
        head = next((u for u in members if u.role == "head_of_service"), None)
        organisation.set_team_managers(
            sf,
            team_id,
            manager_id=ids[manager.username] if manager else None,
            head_of_service_id=ids[head.username] if head else None,
        )
        for boss in (manager, head):
            if boss is not None:
                managed[boss.username].add(team_id)
    org = _Org()
    for user in listed:
        org.actors[user.username] = Actor(
            id=ids[user.username],
            username=user.username,
            role="manager" if user.role == "head_of_service" else user.role,
            team_id=team_ids.get(user.team) if user.team else None,
            managed_team_ids=frozenset(managed[user.username]),
        )
    org.owner = next(u.username for u in listed if u.role == "practitioner")
    return org


@dataclass(frozen=True)
class ScenarioRun:
    """A replayed scenario: its case's id in the database and the DESIGN 6 document."""

    case_id: int
    document: dict[str, Any]


def _with_step(event: Event, data: dict[str, Any] | None, seq_of_step: dict[int, int]) -> Any:
    """A `correct_date`'s data with the step it names turned into that event's number."""
    if event is not Event.CORRECT_DATE or not data or "step" not in data:
        return data
    out = dict(data)
    named = out.pop("step")
    if named not in seq_of_step:
        raise TransitionRefused(
            f"step {named} was not recorded (it was refused): there is no event to correct",
            event=event.value,
        )
    out["event_id"] = seq_of_step[named]
    return out


def replay_scenario(sf: SessionFactory, scenario: Scenario, policy: Policy) -> ScenarioRun:
    """Replay a checked scenario into the (migrated) database behind `sf`."""
    region = Region.parse(scenario.region)
    first = scenario.steps[0]
    clock = FixedClock(first.clock)
    org = _create_org(sf, tuple(scenario.users or DEFAULT_USERS), clock.now())
    calendar = calendar_days.load_calendar(sf, region)

    def policy_for(name: str) -> Policy:
        return policy if name == policy.name else policy_by_name(name)

    raiser = org.actors[first.by or org.owner]
    owner = org.actors[org.owner]
    rejected: list[dict[str, Any]] = []
    seq_of_step: dict[int, int] = {}
    try:
        case = casework.raise_concern(
            sf,
            facts=scenario.case,
            at=first.at,
            actor=raiser.username,
            region=region,
            policy=policy,
            calendar=calendar,
            owner_id=raiser.id if raiser.role == "lado" else owner.id,
            team_id=owner.team_id,
            reference=f"SCN-{datetime.now(UTC).strftime('%H%M%S%f')}",
            recorded_at=first.clock,
        )
    except (InvalidStep, InvalidEventData) as exc:
        raise ScenarioError(f"step 1 (at {first.at.isoformat()}): {exc}") from None
    assert case.id is not None
    seq_of_step[1] = 1
    for number, step in enumerate(scenario.steps[1:], start=2):
        clock.set(step.clock)
        if step.sweep:
            deadline_alerts.sweep(sf, clock.now(), lambda _r: calendar, policy_for)
            continue
        assert step.event is not None
        event = as_event(step.event)
        actor = org.actors[step.by] if step.by else org.actors.get(DEFAULT_ACTOR, owner)
        try:
            data = _with_step(event, step.data, seq_of_step)
            access = queries.case_access(sf, case.id)
            assert access is not None
            refusal = event_refusal(actor, access, event, parse_event_data(event, data))
            if refusal is not None:
                raise TransitionRefused(refusal, event=event.value)
            after = casework.apply_event(
                sf,
                case.id,
                event,
                at=step.at,
                actor=actor.username,
                data=data,
                calendar=calendar,
                policy=policy,
                recorded_at=clock.now(),
            )
        except (TransitionRefused, InvalidStep, InvalidEventData) as exc:
            rejected.append(
                {"at": _iso(step.at), "event": step.event, "reason": str(exc), "step": number}
            )
            continue
        seq_of_step[number] = _transition_seq(sf, after.id, event)
    return ScenarioRun(case.id, _document(sf, case.id, clock.now(), rejected, seq_of_step))


def _transition_seq(sf: SessionFactory, case_id: int | None, event: Event) -> int:
    assert case_id is not None
    history = casework.get_case(sf, case_id, with_history=True).history
    return next(e.seq for e in reversed(history) if e.is_transition and e.event == event.value)


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
    sf: SessionFactory,
    case_id: int,
    as_of: datetime,
    rejected: list[dict[str, Any]],
    seq_of_step: dict[int, int],
) -> dict[str, Any]:
    case = casework.get_case(sf, case_id, with_history=True)
    kinds = {d.id: d.kind.value for d in case.deadlines}
    step_of_seq = {seq: step for step, seq in seq_of_step.items()}
    with sf() as session:
        names = dict(session.execute(select(users.c.id, users.c.username)).tuples().all())
        passed_over = session.execute(
            select(superseded_alerts)
            .where(superseded_alerts.c.case_id == case_id)
            .order_by(superseded_alerts.c.created_at, superseded_alerts.c.due_at)
        ).all()
    history = []
    for e in effective_history(case.history):
        if not e.is_transition or e.event == Event.RAISE_CONCERN.value:
            continue
        entry: dict[str, Any] = {
            "at": _iso(e.at),
            "recorded_at": _iso(e.recorded_at),
            "by": e.actor,
            "late": e.late,
            "event": e.event,
            "machine": e.machine,
            "from": e.from_state,
            "to": e.to_state,
            "step": step_of_seq.get(e.seq),
        }
        if e.corrects is not None:
            entry["corrects"] = {
                "step": step_of_seq.get(e.corrects),
                "event": e.data.get("event"),
                "from": _iso(datetime.fromisoformat(e.data["old_occurred_at"])),
                "to": _iso(datetime.fromisoformat(e.data["new_occurred_at"])),
                "reason": e.data.get("reason"),
            }
        history.append(entry)
    return {
        "state": case.state.value,
        "allegation_state": case.allegation_state.value if case.allegation_state else None,
        "required_actions": [a.value for a in case.required_actions],
        "history": history,
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
                "recipient": names.get(a.recipient_user_id) if a.recipient_user_id else None,
            }
            for a in deadline_alerts.list_alerts(sf, case_id=case_id)
        ],
        "superseded": [
            {
                "at": _iso(r.created_at),
                "due_at": _iso(r.due_at),
                "deadline": kinds.get(r.deadline_id),
                "level": r.level,
                "to": r.recipient_role,
            }
            for r in passed_over
        ],
    }
