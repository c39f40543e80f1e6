"""Triage: what must happen, and by when, once a concern is recorded (DESIGN 4.1, 4.2).

`triage(facts)` is pure. Each rule cites the paragraph of the seed procedure it encodes:
004 = 004_feb1ad46cb8c5f0d.txt ("E-Safety and Internet Abuse"), 000 = 000_bd4635a93df51187.txt
(Bedfordshire / Luton online safety procedure), 001 = 001_db9b51dde9e973bb.txt (Walsall e-safety
policy), 003 = 003_5f3593eb7eb03cdd.txt (Luton sexting response).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from states.facts import AbuserKind, CaseFacts, Category, Child, RequiredAction, RiskFactor
from states.model import DeadlineKind

__all__ = ["Triage", "age_on", "triage", "youth_imagery_triggers"]

_A = RequiredAction


@dataclass(frozen=True)
class Triage:
    """The result of triage: actions in `RequiredAction` order, the deadlines started when the
    concern is recorded (`starts`) and those of them due the same day (`same_day`), plain-English
    reasons citing the seeds, whether the LADO track applies and whether the family must not be
    told (no tipping off, DESIGN 4.2)."""

    required_actions: tuple[RequiredAction, ...]
    same_day: tuple[DeadlineKind, ...]
    starts: tuple[DeadlineKind, ...]
    reasons: tuple[str, ...]
    allegations_track: bool
    do_not_inform_family: bool


@dataclass
class _Draft:
    actions: set[RequiredAction] = field(default_factory=set)
    starts: list[DeadlineKind] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, reason: str, *actions: RequiredAction) -> None:
        self.actions.update(actions)
        self.reasons.append(reason)

    def start(self, kind: DeadlineKind) -> None:
        if kind not in self.starts:
            self.starts.append(kind)

    def same_day_referral(self, reason: str, *actions: RequiredAction) -> None:
        self.add(reason, _A.IMMEDIATE_REFERRAL, *actions)
        self.start(DeadlineKind.IMMEDIATE_REFERRAL)


def _adult_involved(facts: CaseFacts) -> bool:
    return facts.alleged_abuser is not None and facts.alleged_abuser.kind is AbuserKind.ADULT


def age_on(child: Child, on: date | None) -> int | None:
    """The child's age in whole years on `on`: from the date of birth where it is recorded, else
    the age recorded (an unborn child is 0)."""
    if child.date_of_birth is not None and on is not None:
        born = child.date_of_birth
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if child.expected_date_of_birth is not None and child.date_of_birth is None:
        return 0
    return child.age


def _children_in_imagery(facts: CaseFacts) -> list[Child]:
    """The children shown in the imagery; when none is marked, every child of the concern."""
    shown = [c for c in facts.children if c.shown_in_images]
    return shown or list(facts.children)


def youth_imagery_triggers(facts: CaseFacts, on: date | None = None) -> tuple[str, ...]:
    """The triggers of seed 004 s2.1 present in `facts`, each as a short phrase; ages are taken
    on `on` (the day of the concern) where a date of birth is recorded."""
    imagery = facts.imagery
    found: list[str] = []
    if (imagery is not None and imagery.involves_adult) or _adult_involved(facts):
        found.append("the incident involves an adult")
    if imagery is not None and imagery.coercion_or_grooming:
        found.append("the young person was coerced, blackmailed or groomed")
    if (imagery is not None and imagery.capacity_to_consent_concern) or any(
        c.sen for c in facts.children
    ):
        found.append("there are concerns about capacity to consent (including SEN)")
    if imagery is not None and imagery.unusual_or_violent:
        found.append(
            "the content depicts sexual acts unusual for the child's development or violent"
        )
    if (
        imagery is not None
        and imagery.sexual_acts
        and any(
            (age := age_on(c, on)) is not None and age < 13 for c in _children_in_imagery(facts)
        )
    ):
        found.append("the imagery involves sexual acts and a child in it is under 13")
    if imagery is not None and imagery.immediate_risk:
        found.append("the child is at immediate risk of harm because of the sharing")
    return tuple(found)


def _youth_imagery(facts: CaseFacts, d: _Draft, on: date | None) -> None:
    triggers = youth_imagery_triggers(facts, on)
    if triggers:
        d.same_day_referral(
            "youth-produced imagery: immediate referral to the police and children's social care "
            f"the same day because {'; '.join(triggers)} (seed 004 s2.1)",
            _A.REFER_POLICE,
            _A.REFER_CHILDRENS_SOCIAL_CARE,
            _A.PRESERVE_EVIDENCE,
        )
    elif not facts.significant_harm_suspected:
        d.add(
            "youth-produced imagery with none of the five triggers: handled by the setting - the "
            "designated safeguarding lead records it in the incident log, parents are told unless "
            "that puts the child at risk, early help assessment, support to remove the images "
            "(seed 004 s2.1; seed 003 sexting response)",
            _A.EARLY_HELP_ASSESSMENT,
        )


def _known_children_in_images(facts: CaseFacts) -> bool:
    return RiskFactor.IMAGES_OF_OWN_CHILDREN in facts.risk_factors or any(
        c.shown_in_images and (c.known_to_alleged_abuser or c.lives_with_alleged_abuser)
        for c in facts.children
    )


def _adult_images(facts: CaseFacts, d: _Draft) -> None:
    d.add(
        "adult with indecent images of children: a police referral is always required and "
        "evidence must be preserved (seed 004 s2.2; seed 001)",
        _A.REFER_POLICE,
        _A.PRESERVE_EVIDENCE,
    )
    abuser = facts.alleged_abuser
    with_children = (
        abuser is not None
        and (abuser.lives_with_children or abuser.unsupervised_contact_with_children)
    ) or any(c.lives_with_alleged_abuser for c in facts.children)
    if with_children:
        d.same_day_referral(
            "the adult lives with or has unsupervised contact with children: referral to "
            "children's social care the same day (seed 004 s2.2)",
            _A.REFER_CHILDRENS_SOCIAL_CARE,
        )
    if abuser is not None and abuser.position_of_trust and not with_children:
        d.add(
            "the adult comes into contact with children through their work or voluntary "
            "activities: a referral to children's social care is also required (seed 004 s2.2: "
            '"a referral to Social Care will also be required"; seed 001: their access to '
            "children, including work settings)",
            _A.REFER_CHILDRENS_SOCIAL_CARE,
        )
    if _known_children_in_images(facts):
        d.same_day_referral(
            "the images show children known to the adult (including their own): urgent strategy "
            "discussion the same day with a view to a Section 47 enquiry (seed 004 s2.2; seed 001)",
            _A.REFER_CHILDRENS_SOCIAL_CARE,
            _A.URGENT_STRATEGY_DISCUSSION,
        )


def _contact_offence(facts: CaseFacts, d: _Draft, what: str) -> None:
    d.add(
        f"{what}: refer to the police and children's social care and preserve the evidence "
        "(seed 004 s2.2: police involvement explores contact with adult exploiters; seed 000)",
        _A.REFER_POLICE,
        _A.REFER_CHILDRENS_SOCIAL_CARE,
        _A.PRESERVE_EVIDENCE,
    )
    if facts.imagery is not None and facts.imagery.immediate_risk:
        d.same_day_referral(
            "the child is at immediate risk (for example an arranged meeting): refer the same day "
            "(seed 004 s2.1 trigger 5)"
        )


def _bullying(facts: CaseFacts, d: _Draft) -> None:
    if facts.significant_harm_suspected:
        d.add(
            "severe online bullying with significant harm suspected: separate referrals to "
            "children's social care for the child bullied and for the child who harmed them "
            "(seed 004 s3; Children who Present a Risk of Harm to Others)",
            _A.REFER_CHILDRENS_SOCIAL_CARE,
        )
    else:
        d.add(
            "online bullying: support for the child bullied and, separately, for the child who "
            "harmed them through early help; report to the police if necessary (seed 004 s3)",
            _A.EARLY_HELP_ASSESSMENT,
        )


def _staff_conduct(facts: CaseFacts, d: _Draft) -> None:
    if facts.significant_harm_suspected or facts.children:
        d.add(
            "a member of staff or volunteer may have harmed a child or behaved in a way that "
            "suggests they may pose a risk to children: refer to the LADO within one working day "
            "under the allegations procedure (seed 000 staff conduct; seed 004 s2.2)",
            _A.REFER_TO_LADO,
        )
        d.start(DeadlineKind.LADO_REFERRAL)
    else:
        d.reasons.append(
            "staff online conduct with no child named or harmed: the employer deals with it under "
            "its code of conduct and may consult the LADO (seed 000)"
        )


def _threshold_route(facts: CaseFacts, d: _Draft, what: str) -> None:
    if facts.significant_harm_suspected:
        d.add(
            f"{what} with significant harm suspected: refer to children's social care",
            _A.REFER_CHILDRENS_SOCIAL_CARE,
        )
    else:
        d.add(
            f"{what} below the significant-harm threshold: early help assessment, with the "
            "information shared so it is part of the risk assessment (seed 004 s5)",
            _A.EARLY_HELP_ASSESSMENT,
        )


def triage(facts: CaseFacts, on: date | None = None) -> Triage:
    """What must happen for a concern with `facts` (DESIGN 4.1, 4.2); `on` is the London date of
    the concern (or of the facts' update), for ages counted from a date of birth."""
    d = _Draft()
    category = facts.category
    if category is Category.YOUTH_PRODUCED_SEXUAL_IMAGERY:
        _youth_imagery(facts, d, on)
    elif category is Category.ADULT_INDECENT_IMAGES:
        _adult_images(facts, d)
    elif category is Category.ONLINE_GROOMING:
        _contact_offence(facts, d, "online grooming")
    elif category is Category.SEXUAL_COMMUNICATION:
        _contact_offence(facts, d, "sexual communication with a child")
    elif category is Category.FINANCIAL_EXPLOITATION:
        d.add(
            "financially motivated sexual extortion: refer to the police and children's social "
            "care and preserve the evidence; do not pay or delete the messages (seed 000 commerce "
            "risks; seed 002)",
            _A.REFER_POLICE,
            _A.REFER_CHILDRENS_SOCIAL_CARE,
            _A.PRESERVE_EVIDENCE,
        )
        if facts.imagery is not None and facts.imagery.immediate_risk:
            d.same_day_referral(
                "the child is at immediate risk: refer the same day (seed 004 s2.1)"
            )
    elif category is Category.EXTREMISM:
        d.add(
            "exposure to extremist material or radicalisation: Prevent referral (seed 004 s4)",
            _A.PREVENT_REFERRAL,
        )
        if facts.significant_harm_suspected:
            d.add(
                "significant harm suspected: also refer to children's social care (seed 004 s4)",
                _A.REFER_CHILDRENS_SOCIAL_CARE,
            )
    elif category is Category.ONLINE_BULLYING:
        _bullying(facts, d)
    elif category is Category.STAFF_ONLINE_CONDUCT:
        _staff_conduct(facts, d)
    elif category in (Category.HARMFUL_WEBSITES, Category.EXPOSURE_TO_HARMFUL_CONTENT):
        _threshold_route(facts, d, "exposure to harmful content or websites")
    else:
        _threshold_route(facts, d, "online-harm concern")

    abuser = facts.alleged_abuser
    if (
        abuser is not None
        and abuser.position_of_trust
        and abuser.kind is not AbuserKind.CHILD
        and _A.REFER_TO_LADO not in d.actions
    ):
        d.add(
            "the alleged abuser works or volunteers with children or is a foster carer: "
            "allegations procedure, LADO informed within one working day and a LADO strategy "
            "meeting within 5 working days (seed 004 s2.2)",
            _A.REFER_TO_LADO,
        )
        d.start(DeadlineKind.LADO_REFERRAL)

    if facts.significant_harm_suspected and _A.REFER_CHILDRENS_SOCIAL_CARE not in d.actions:
        d.add(
            "reasonable cause to suspect significant harm: refer to children's social care "
            "(Working Together 2023)",
            _A.REFER_CHILDRENS_SOCIAL_CARE,
        )

    imagery_with_adult = facts.imagery is not None and facts.imagery.involves_adult
    no_tipping_off = imagery_with_adult or (_adult_involved(facts) and _A.REFER_POLICE in d.actions)
    if no_tipping_off:
        d.add(
            "an adult is alleged to be involved: nothing is disclosed to the alleged abuser, their "
            "partner or children until the strategy discussion decides when (seed 004 s2.2; "
            "seed 001; seed 002)",
            _A.DO_NOT_INFORM_FAMILY,
        )

    starts = tuple(k for k in DeadlineKind if k in d.starts)
    return Triage(
        required_actions=tuple(a for a in RequiredAction if a in d.actions),
        same_day=tuple(k for k in starts if k is DeadlineKind.IMMEDIATE_REFERRAL),
        starts=starts,
        reasons=tuple(d.reasons),
        allegations_track=_A.REFER_TO_LADO in d.actions,
        do_not_inform_family=no_tipping_off,
    )
