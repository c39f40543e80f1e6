"""Casework as it is recorded: when events happened and when they were written down, the
events that anchor and meet each deadline, people shared across cases, superseded alerts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Nothing is lost (DESIGN 2.3, 2.4):

- `case_events.recorded_at` is every old event's `at` (it was stamped when it was typed), `late`
  false; the append-only triggers are lifted for this one update and put back.
- each deadline learns the log numbers of the event it is counted from (`anchor_seq`) and of
  the one that met it (`met_seq`), found in its case's log by time and event, so that a later
  `correct_date` of those events recomputes it;
- each case learns its machines' latest events (`machine_last`), the referral its single
  assessment counts from (`referral_seq`) and the log number of each strategy discussion;
- each child and named alleged abuser becomes a person, linked from `subjects.person_id` and from
  the case's facts (`person_id`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from workflows.persistence.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
APPEND_ONLY_MESSAGE = "case_events is append-only: UPDATE and DELETE are refused"

# which events start and meet each deadline kind in the policy of the previous release
# (england-2023 as it stood; single assessments were met by complete_assessment then)
_STARTED_BY: Mapping[str, tuple[str, ...]] = {
    "immediate_referral": ("raise_concern", "record_facts"),
    "referral_decision": ("refer", "escalate"),
    "strategy_discussion": ("convene_strategy_discussion",),
    "single_assessment": ("refer", "escalate", "start_assessment", "convene_strategy_discussion"),
    "initial_child_protection_conference": ("hold_strategy_discussion", "start_section_47"),
    "core_group": ("hold_conference",),
    "first_review_conference": ("hold_conference",),
    "review_conference": ("hold_review_conference",),
    "lado_referral": ("raise_concern", "record_facts"),
    "lado_strategy_meeting": ("refer_to_lado",),
    "allegation_resolution": ("refer_to_lado",),
    "working_agreement_review": ("record_facts", "hold_strategy_discussion"),
}
_MET_BY: Mapping[str, tuple[str, ...]] = {
    "immediate_referral": ("refer",),
    "referral_decision": ("start_assessment", "convene_strategy_discussion", "step_down"),
    "strategy_discussion": ("hold_strategy_discussion",),
    "single_assessment": ("complete_assessment",),
    "initial_child_protection_conference": ("hold_conference",),
    "core_group": ("hold_core_group",),
    "first_review_conference": ("hold_review_conference",),
    "review_conference": ("hold_review_conference",),
    "lado_referral": ("refer_to_lado",),
    "lado_strategy_meeting": ("hold_lado_strategy_meeting",),
    "allegation_resolution": ("close_allegation",),
    "working_agreement_review": (),
}
_CASE_LEVEL = {"record_facts", "add_note", "allocate", "transfer", "correct_date"}


def _postgres() -> bool:
    return op.get_context().dialect.name == "postgresql"


def _drop_append_only() -> None:
    if _postgres():
        op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
        op.execute("DROP TRIGGER IF EXISTS case_events_no_truncate ON case_events")
    else:
        op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS case_events_no_delete")


def _restore_append_only() -> None:
    if _postgres():
        op.execute(
            "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
            "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER case_events_no_{operation.lower()} BEFORE {operation} "
                f"ON case_events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def upgrade() -> None:
    _drop_append_only()
    op.add_column("case_events", sa.Column("recorded_at", UTCDateTime(), nullable=True))
    op.add_column(
        "case_events",
        sa.Column("late", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("case_events", sa.Column("corrects", sa.Integer(), nullable=True))
    op.execute("UPDATE case_events SET recorded_at = at")
    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("recorded_at", existing_type=UTCDateTime(), nullable=False)
    op.create_index("ix_case_events_recorded_at", "case_events", ["recorded_at"], unique=False)
    _restore_append_only()

    op.add_column("cases", sa.Column("machine_last", JSON, nullable=True))
    op.add_column("cases", sa.Column("referral_seq", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("assessment", JSON, nullable=True))
    op.add_column("cases", sa.Column("unallocated_since", UTCDateTime(), nullable=True))
    op.add_column("deadlines", sa.Column("anchor_seq", sa.Integer(), nullable=True))
    op.add_column("deadlines", sa.Column("met_seq", sa.Integer(), nullable=True))

    op.create_table(
        "persons",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("expected_date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("ethnicity", sa.String(length=4), nullable=True),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("disabilities", JSON, nullable=True),
        sa.Column("sen", sa.Boolean(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('child', 'adult')", name=op.f("ck_persons_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    for column in ("nhs_number", "upn"):
        op.create_index(
            f"ix_persons_{column}",
            "persons",
            [column],
            unique=True,
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )
    op.create_index("ix_persons_date_of_birth", "persons", ["date_of_birth"], unique=False)
    op.create_table(
        "person_name_keys",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_name_keys_person_id_persons")
        ),
        sa.UniqueConstraint("key", "person_id", name="uq_person_name_keys_key_person_id"),
    )
    op.create_index(
        "ix_person_name_keys_person_id", "person_name_keys", ["person_id"], unique=False
    )
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("person_id", ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_subjects_person_id_persons"), "persons", ["person_id"], ["id"]
        )
        batch.create_index("ix_subjects_person_id", ["person_id"], unique=False)

    op.create_table(
        "superseded_alerts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("deadline_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("recipient_role", sa.String(length=20), nullable=False),
        sa.Column("recipient_key", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_superseded_alerts_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["deadline_id"],
            ["deadlines.id"],
            name=op.f("fk_superseded_alerts_deadline_id_deadlines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_superseded_alerts")),
        sa.UniqueConstraint(
            "deadline_id",
            "level",
            "recipient_role",
            "recipient_key",
            name="uq_superseded_alerts_deadline_id_level_role_recipient",
        ),
    )
    op.create_index("ix_superseded_alerts_case_id", "superseded_alerts", ["case_id"], unique=False)
    _backfill(op.get_bind())


# -- the backfill ------------------------------------------------------------------------------


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _backfill(conn: sa.Connection) -> None:
    from workflows.people import fold_name, name_keys  # the same folding the service uses

    meta = sa.MetaData()
    cases = sa.Table("cases", meta, autoload_with=conn)
    events = sa.Table("case_events", meta, autoload_with=conn)
    deadlines = sa.Table("deadlines", meta, autoload_with=conn)
    subjects = sa.Table("subjects", meta, autoload_with=conn)
    persons = sa.Table("persons", meta, autoload_with=conn)
    keys = sa.Table("person_name_keys", meta, autoload_with=conn)
    now = datetime.now(UTC)
    case_rows = conn.execute(
        sa.select(cases.c.id, cases.c.facts, cases.c.discussions).order_by(cases.c.id)
    ).all()
    for case in case_rows:
        log = [
            (r.seq, r.event, r.machine, _aware(r.at))
            for r in conn.execute(
                sa.select(events.c.seq, events.c.event, events.c.machine, events.c.at)
                .where(events.c.case_id == case.id, events.c.kind == "transition")
                .order_by(events.c.seq)
            )
        ]
        marks: dict[str, dict[str, Any]] = {}
        referral_seq = None
        for seq, event, machine, at in log:
            if event in ("refer", "escalate"):
                referral_seq = seq
            if machine and event not in _CASE_LEVEL:
                marks[machine] = {"at": at.isoformat(), "event": event, "seq": seq}
        discussions = _json(case.discussions) or []
        held = [(seq, at) for seq, event, _m, at in log if event == "hold_strategy_discussion"]
        for item in discussions:
            at = _aware(item["at"])
            item["seq"] = next((s for s, a in reversed(held) if a == at), None)
        facts = _json(case.facts)
        values: dict[str, Any] = {
            "machine_last": marks,
            "referral_seq": referral_seq,
            "discussions": discussions,
        }
        subject_rows = conn.execute(
            sa.select(subjects.c.id, subjects.c.role, subjects.c.name, subjects.c.details)
            .where(subjects.c.case_id == case.id)
            .order_by(subjects.c.id)
        ).all()
        children = list(facts.get("children") or [])
        child_index = 0
        for subject in subject_rows:
            name = subject.name
            if not name:
                continue
            details = _json(subject.details) or {}
            kind = "child" if subject.role == "child" or details.get("kind") == "child" else "adult"
            person_id = conn.execute(
                sa.insert(persons)
                .values(
                    kind=kind,
                    name=name[:200],
                    name_key=fold_name(name)[:200],
                    sen=details.get("sen"),
                    created_at=now,
                    updated_at=now,
                )
                .returning(persons.c.id)
            ).scalar_one()
            word_keys = sorted(name_keys(fold_name(name)))
            if word_keys:
                conn.execute(
                    sa.insert(keys), [{"person_id": person_id, "key": k} for k in word_keys]
                )
            conn.execute(
                sa.update(subjects).where(subjects.c.id == subject.id).values(person_id=person_id)
            )
            if subject.role == "child" and child_index < len(children):
                children[child_index] = {**children[child_index], "person_id": person_id}
                child_index += 1
            elif subject.role == "alleged_abuser" and facts.get("alleged_abuser"):
                facts["alleged_abuser"] = {**facts["alleged_abuser"], "person_id": person_id}
        if children:
            facts["children"] = children
        values["facts"] = facts
        conn.execute(sa.update(cases).where(cases.c.id == case.id).values(**values))

        for d in conn.execute(
            sa.select(
                deadlines.c.id, deadlines.c.kind, deadlines.c.anchor_at, deadlines.c.met_at
            ).where(deadlines.c.case_id == case.id)
        ).all():
            anchor_at = _aware(d.anchor_at)
            anchor = [
                s for s, e, _m, a in log if a == anchor_at and e in _STARTED_BY.get(d.kind, ())
            ]
            met: list[int] = []
            if d.met_at is not None:
                met_at = _aware(d.met_at)
                met = [s for s, e, _m, a in log if a == met_at and e in _MET_BY.get(d.kind, ())]
            conn.execute(
                sa.update(deadlines)
                .where(deadlines.c.id == d.id)
                .values(anchor_seq=anchor[-1] if anchor else None, met_seq=met[-1] if met else None)
            )


def downgrade() -> None:
    op.drop_index("ix_superseded_alerts_case_id", table_name="superseded_alerts")
    op.drop_table("superseded_alerts")
    with op.batch_alter_table("subjects") as batch:
        batch.drop_index("ix_subjects_person_id")
        batch.drop_constraint(op.f("fk_subjects_person_id_persons"), type_="foreignkey")
        batch.drop_column("person_id")
    op.drop_index("ix_person_name_keys_person_id", table_name="person_name_keys")
    op.drop_table("person_name_keys")
    op.drop_index("ix_persons_date_of_birth", table_name="persons")
    op.drop_index("ix_persons_upn", table_name="persons")
    op.drop_index("ix_persons_nhs_number", table_name="persons")
    op.drop_table("persons")
    for column in ("met_seq", "anchor_seq"):
        op.drop_column("deadlines", column)
    for column in ("unallocated_since", "assessment", "referral_seq", "machine_last"):
        op.drop_column("cases", column)
    _drop_append_only()
    op.drop_index("ix_case_events_recorded_at", table_name="case_events")
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("corrects")
        batch.drop_column("late")
        batch.drop_column("recorded_at")
    _restore_append_only()
