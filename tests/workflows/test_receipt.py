"""A local policy that treats out-of-hours receipt as the next working day (DESIGN 3.2): the
working-day counts start from Monday for a Friday-evening referral; same-day deadlines are never
put off; the recorded anchor stays the actual moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from states import (
    ENGLAND_2023,
    CaseFacts,
    DeadlineKind,
    Event,
    OutOfHours,
    Policy,
    ReceiptPolicy,
)
from tests.workflows.helpers import OWN_CHILDREN, calendar, deadline, london
from workflows import fire, raise_concern

NEXT_WORKING_DAY = replace(
    ENGLAND_2023,
    name="local-next-working-day",
    receipt=ReceiptPolicy(out_of_hours=OutOfHours.NEXT_WORKING_DAY),
)


def _refer_friday_evening(policy: Policy) -> date:
    friday_evening = london(2026, 3, 6, 18, 30)
    case = raise_concern(
        CaseFacts.model_validate(OWN_CHILDREN),
        at=friday_evening,
        actor="sw1",
        region=calendar().region,
        policy=policy,
        calendar=calendar(),
        reference="C-1",
    )
    # the immediate referral is same day whatever the policy: Friday 6 March
    assert deadline(case, DeadlineKind.IMMEDIATE_REFERRAL).due_date == date(2026, 3, 6)
    fire(
        case,
        Event.REFER,
        at=london(2026, 3, 6, 19),
        actor="sw1",
        data={"referred_to": ["police"]},
        calendar=calendar(),
        policy=policy,
    )
    decision = deadline(case, DeadlineKind.REFERRAL_DECISION)
    assert decision.anchor_at == london(2026, 3, 6, 19)
    return decision.due_date


def test_actual_date_by_default_friday_evening_referral_decided_monday() -> None:
    assert _refer_friday_evening(ENGLAND_2023) == date(2026, 3, 9)


def test_next_working_day_option_friday_evening_referral_decided_tuesday() -> None:
    assert _refer_friday_evening(NEXT_WORKING_DAY) == date(2026, 3, 10)
