"""Seeding many invented escalations at once, for benchmarks at national scale.

The rows are the ones the services would write, made without going through them one
escalation at a time: each escalation's story (who raised it, its stages, contacts,
resolution or withdrawal) is drawn first, then one function per table turns stories into
rows, and the rows go to the database in batches (PostgreSQL ``COPY``; elsewhere plain
``INSERT``, which is slow and meant only for tests). Due dates come from the domain
(``deadlines.due_on`` with the partnership's calendar), whose move it is from
``moves.waiting_on``, involvement rows from ``access.involvements``, and the history is
hash-chained onto whatever chain is already there, as ``audit.record`` would.

Every name here is made up. Nothing else may write while it runs: each batch locks the
tables it writes, and the whole run holds the chain's and the references' locks.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from escalate.audit import events
from escalate.audit.chain import event_content, event_hash
from escalate.audit.models import AuditEvent
from escalate.audit.services import chain_lock_key, chain_tail
from escalate.domain import access, engine, moves
from escalate.domain.calendar import WorkingCalendar
from escalate.domain.deadlines import due_on
from escalate.domain.policy import Agreement, LadderRole, PolicyRules, SubjectKind
from escalate.escalations.clock import calendar_for, local_today
from escalate.escalations.models import (
    AgreedAction,
    Contact,
    Escalation,
    Involvement,
    Party,
    ResolutionConfirmation,
    ResolutionProposal,
    StageEntry,
    Subject,
)
from escalate.escalations.references import format_reference
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership, Policy, ReferenceCounter
from escalate.policies.selectors import current_policies

BULK_PASSWORD = "demo-password-not-for-real-use"  # noqa: S105 - the demo's, printed on purpose
"""Every bulk person signs in with the demo password (one hash, shared: invented people)."""

# The mix the issue describes: about a fifth open, the rest finished one way or another.
STATUS_WEIGHTS = {
    engine.Status.OPEN: 20,
    engine.Status.RESOLVED: 25,
    engine.Status.CLOSED: 45,
    engine.Status.WITHDRAWN: 10,
}
# How many stages an escalation climbs before it ends (or where an open one now stands).
EXTRA_STAGE_WEIGHTS = (60, 25, 10, 4, 1)
HISTORY_DAYS = 3 * 365
OPEN_WITHIN_DAYS = 60

_PLACES = [
    "Ashdown",
    "Alderbrook",
    "Bramwell",
    "Cedarford",
    "Dunmere",
    "Elmstead",
    "Fernhollow",
    "Glenwick",
    "Hartsmoor",
    "Ivybridge",
    "Juniper",
    "Kestrel",
    "Larkfield",
    "Meadowgate",
    "Northolme",
    "Oakhurst",
    "Pebblecombe",
    "Quarrydale",
    "Rowanbank",
    "Sedgemoor",
    "Thornbury",
    "Upperwood",
    "Valebrook",
    "Willowmere",
    "Yarrowfield",
    "Zephyr",
]
_KIND_NAMES = {
    "education": "Primary School",
    "early_years": "Nursery",
    "health": "Health Visiting Team",
    "childrens_social_care": "Children's Social Care Locality Team",
    "adult_social_care": "Adult Social Care Team",
    "police": "Police Safeguarding Hub",
    "voluntary": "Family Support Project",
    "other": "Housing Service",
}
_FIRST_NAMES = [
    "Alex",
    "Bea",
    "Cal",
    "Dee",
    "Eli",
    "Fay",
    "Gus",
    "Hal",
    "Ida",
    "Jo",
    "Kit",
    "Lou",
    "Max",
    "Nia",
    "Oli",
    "Pip",
    "Quin",
    "Ray",
    "Sol",
    "Tam",
    "Uma",
    "Vic",
    "Wyn",
    "Xan",
    "Yas",
    "Zed",
]
_LAST_NAMES = [
    "Madeup",
    "Invented",
    "Fictive",
    "Notreal",
    "Pretend",
    "Storybook",
    "Imagined",
    "Placeholder",
    "Sampleton",
    "Testwell",
    "Dummerby",
    "Mockford",
]
_RUNG_COUNTS = {
    LadderRole.PRACTITIONER: 30,
    LadderRole.LINE_MANAGER: 4,
    LadderRole.SAFEGUARDING_LEAD: 1,
    LadderRole.HEAD_OF_SERVICE: 1,
    LadderRole.ASSISTANT_DIRECTOR: 1,
}
_CONTACT_KINDS = [kind.value for kind in Contact.Kind]


# --- the directory ----------------------------------------------------------------------------


@dataclass
class AgencyStaff:
    agency_id: int
    by_rung: dict[LadderRole, list[int]]

    def one(self, rng: random.Random, rung: LadderRole | None) -> int:
        people = (
            self.by_rung.get(rung or LadderRole.LINE_MANAGER)
            or self.by_rung[LadderRole.PRACTITIONER]
        )
        return rng.choice(people)


@dataclass
class PartnershipPlan:
    policy: Policy
    rules: PolicyRules
    calendar: WorkingCalendar
    staff: list[AgencyStaff]
    categories: list[str]
    covers: list[SubjectKind]


def ensure_directory(policy: Policy, *, agencies: int) -> list[AgencyStaff]:
    """The partnership's agencies and people, adding invented bulk ones the first time.

    Bulk people's addresses end ``@<slug>.bulk.example.org``; running again adds nothing.
    """
    slug = policy.partnership.slug
    domain = f"{slug}.bulk.example.org"
    if not Person.objects.filter(email__endswith=f"@{domain}").exists():
        _create_bulk_people(policy, agencies=agencies, domain=domain)
    staff: dict[int, AgencyStaff] = {}
    for agency_id in Agency.objects.filter(partnership=policy.partnership).values_list(
        "pk", flat=True
    ):
        staff[agency_id] = AgencyStaff(agency_id, {})
    people = Person.objects.filter(agency__partnership=policy.partnership, is_active=True).exclude(
        ladder_role=""
    )
    for person_id, agency_id, rung in people.values_list("pk", "agency_id", "ladder_role"):
        staff[agency_id].by_rung.setdefault(LadderRole(rung), []).append(person_id)
    return [s for s in staff.values() if s.by_rung.get(LadderRole.PRACTITIONER)]


def _create_bulk_people(policy: Policy, *, agencies: int, domain: str) -> None:
    kinds = list(policy.rules.agency_kinds)
    taken = set(
        Agency.objects.filter(partnership=policy.partnership).values_list("name", flat=True)
    )
    new_agencies = []
    for index in range(agencies):
        kind = kinds[index % len(kinds)]
        name = f"{_PLACES[index % len(_PLACES)]} {_KIND_NAMES[kind.value]}"
        if index >= len(_PLACES):
            name = f"{name} {index // len(_PLACES) + 1}"
        if name in taken:
            continue
        new_agencies.append(Agency(partnership=policy.partnership, name=name, kind=kind.value))
    created = Agency.objects.bulk_create(new_agencies)
    password = make_password(BULK_PASSWORD)
    user_model = get_user_model()
    users = []
    people = []
    for agency in created:
        for rung, count in _RUNG_COUNTS.items():
            for number in range(1, count + 1):
                email = f"{rung.value.replace('_', '-')}.{number}.a{agency.pk}@{domain}"
                users.append(user_model(username=email, email=email, password=password))
                first = _FIRST_NAMES[(agency.pk + number) % len(_FIRST_NAMES)]
                last = _LAST_NAMES[(agency.pk * 7 + number) % len(_LAST_NAMES)]
                people.append(
                    Person(
                        name=f"{first} {last}",
                        email=email,
                        agency=agency,
                        ladder_role=rung.value,
                        job_title=rung.value.replace("_", " ").capitalize(),
                    )
                )
    user_model.objects.bulk_create(users, batch_size=2000)
    user_ids = dict(
        user_model.objects.filter(username__endswith=f"@{domain}").values_list("username", "pk")
    )
    for person in people:
        person.user_id = user_ids[person.email]
    Person.objects.bulk_create(people, batch_size=2000)


# --- one escalation's story -------------------------------------------------------------------


@dataclass
class StageVisit:
    number: int
    entered_on: date
    due_on: date | None
    outcome: str = ""
    reason: str = ""
    ended_on: date | None = None


@dataclass
class HistoryStep:
    event: str
    actor_id: int
    stage_number: int
    on: date
    data: dict[str, Any]


@dataclass
class Story:
    """Everything about one escalation that the per-table functions turn into rows."""

    id: uuid.UUID
    reference: str
    plan: PartnershipPlan
    subject_id: int
    subject_kind: SubjectKind
    raising_agency_id: int
    other_agency_id: int
    raised_by_id: int
    counterpart_id: int | None
    category: str
    status: engine.Status
    raised_on: date
    stages: list[StageVisit]
    other_told: bool
    participant_ids: list[int] = field(default_factory=list)
    contacts: list[tuple[int, int, str, date, int]] = field(default_factory=list)
    """(contact id, stage number, kind, happened on, recorded by)."""
    proposal: tuple[int, int, int, date] | None = None
    """(proposal id, proposing agency, proposed by, on)."""
    confirmation: tuple[int, int, int] | None = None
    """(confirmation id, agency, confirmed by)."""
    action: tuple[int, int, date, int | None] | None = None
    """(agreed action id, owner, due on, checked by when closed)."""
    history: list[HistoryStep] = field(default_factory=list)
    closed_on: date | None = None

    @property
    def stage_number(self) -> int:
        return self.stages[-1].number

    @property
    def revision(self) -> int:
        """One, plus one for every change a service saved after the raise."""
        unsaved = {events.ESCALATION_RAISED, events.AGREED_ACTION_ADDED}
        return 1 + sum(1 for step in self.history if step.event not in unsaved)


class Ids:
    """Hands out primary keys for one batch, from each table's sequence."""

    def __init__(self, starts: dict[str, int]) -> None:
        self.next = dict(starts)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def draw_story(
    rng: random.Random, plan: PartnershipPlan, ids: Ids, *, reference: str, today: date
) -> Story:
    """One escalation's life, as the services would have recorded it."""
    rules = plan.rules
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    if status is engine.Status.OPEN:
        raised_on = today - timedelta(days=rng.randrange(OPEN_WITHIN_DAYS))
    else:
        raised_on = today - timedelta(days=rng.randrange(OPEN_WITHIN_DAYS, HISTORY_DAYS))
    raised_on = _working_on_or_before(plan.calendar, raised_on)
    raising, other = rng.sample(plan.staff, 2)
    raised_by = rng.choice(raising.by_rung[LadderRole.PRACTITIONER])
    counterpart = rng.choice(other.by_rung[LadderRole.PRACTITIONER]) if rng.random() < 0.7 else None
    final = rules.final_stage.number
    first = rules.stages[0].number
    climb = rng.choices(range(len(EXTRA_STAGE_WEIGHTS)), weights=EXTRA_STAGE_WEIGHTS)[0]
    # Finished ones end below the final stage (which a final decision ends, not seeded here).
    last = min(first + climb, final if status is engine.Status.OPEN else final - 1)
    story = Story(
        id=uuid.uuid4(),
        reference=reference,
        plan=plan,
        subject_id=ids.take("subject"),
        subject_kind=SubjectKind.ADULT
        if SubjectKind.ADULT in plan.covers and rng.random() < 0.2
        else SubjectKind.CHILD,
        raising_agency_id=raising.agency_id,
        other_agency_id=other.agency_id,
        raised_by_id=raised_by,
        counterpart_id=counterpart,
        category=rng.choice(plan.categories),
        status=status,
        raised_on=raised_on,
        stages=[],
        other_told=False,
    )
    _climb(story, rng, ids, raising=raising, other=other, last=last, today=today)
    if status is not engine.Status.OPEN:
        _finish(story, rng, ids, raising=raising, other=other, today=today)
    return story


def _climb(
    story: Story,
    rng: random.Random,
    ids: Ids,
    *,
    raising: AgencyStaff,
    other: AgencyStaff,
    last: int,
    today: date,
) -> None:
    rules, calendar = story.plan.rules, story.plan.calendar
    story.history.append(
        HistoryStep(
            events.ESCALATION_RAISED,
            story.raised_by_id,
            rules.stages[0].number,
            story.raised_on,
            {
                "policy_version": story.plan.policy.version,
                "entry_route": "",
                "immediate_risk": False,
            },
        )
    )
    entered = story.raised_on
    contacts_left = 2 if rng.random() < 0.5 else 3  # 2.5 on average
    for stage in rules.stages:
        if stage.number > last:
            break
        due = _due(story.plan, stage.number, story.raised_on, entered)
        if story.stages:  # escalated from the stage before
            previous = story.stages[-1]
            previous.outcome = engine.StageOutcome.ESCALATED.value
            previous.reason = "The disagreement could not be resolved at this stage."
            previous.ended_on = entered
            actor = raising.one(rng, rules.stage(previous.number).ladder_role)
            _take_part(story, actor)
            story.history.append(
                HistoryStep(
                    events.STAGE_ESCALATED,
                    actor,
                    stage.number,
                    entered,
                    {"from": previous.number, "to": stage.number, "reason": previous.reason},
                )
            )
        story.stages.append(StageVisit(stage.number, entered, due))
        if stage.authority.involves.includes(Party.Side.CHALLENGED):
            story.other_told = True
        is_last = stage.number == last
        for _ in range(contacts_left if is_last else min(contacts_left, rng.randrange(2))):
            contacts_left -= 1
            side = raising if rng.random() < 0.6 or not story.other_told else other
            recorder = side.one(rng, stage.ladder_role)
            happened = min(entered + timedelta(days=rng.randrange(3)), today)
            story.contacts.append(
                (ids.take("contact"), stage.number, rng.choice(_CONTACT_KINDS), happened, recorder)
            )
            _take_part(story, recorder)
            story.history.append(
                HistoryStep(
                    events.CONTACT_RECORDED,
                    recorder,
                    stage.number,
                    happened,
                    {"contact": story.contacts[-1][0], "kind": story.contacts[-1][2]},
                )
            )
        step_on = due if due is not None and due > entered else None
        entered = min(step_on or calendar.add_working_days(entered, rng.randrange(2, 8)), today)


def _finish(
    story: Story,
    rng: random.Random,
    ids: Ids,
    *,
    raising: AgencyStaff,
    other: AgencyStaff,
    today: date,
) -> None:
    rules, calendar = story.plan.rules, story.plan.calendar
    visit = story.stages[-1]
    stage = rules.stage(visit.number)
    ended = min(calendar.add_working_days(visit.entered_on, rng.randrange(1, 5)), today)
    if story.status is engine.Status.WITHDRAWN:
        reason = "The raising agency received the information it needed."
        visit.outcome, visit.reason, visit.ended_on = engine.StageOutcome.WITHDRAWN, reason, ended
        story.closed_on = ended
        story.history.append(
            HistoryStep(
                events.ESCALATION_WITHDRAWN,
                story.raised_by_id,
                visit.number,
                ended,
                {"reason": reason},
            )
        )
        return
    proposer = raising.one(rng, stage.ladder_role)
    _take_part(story, proposer)
    proposal_id = ids.take("proposal")
    story.proposal = (proposal_id, raising.agency_id, proposer, ended)
    agreer = proposer
    needs_other = stage.authority.agreement is not Agreement.RECORDING_SIDE and (
        stage.authority.involves.includes(Party.Side.CHALLENGED)
    )
    if needs_other:
        story.history.append(
            HistoryStep(
                events.RESOLUTION_PROPOSED,
                proposer,
                visit.number,
                ended,
                {"proposal": proposal_id, "agreed_actions": 1},
            )
        )
        agreer = other.one(rng, stage.ladder_role)
        _take_part(story, agreer)
        story.confirmation = (ids.take("confirmation"), other.agency_id, agreer)
    owner = story.counterpart_id or other.one(rng, LadderRole.PRACTITIONER)
    _take_part(story, owner)
    action_id = ids.take("action")
    action_due = ended + timedelta(days=14)
    story.history.append(
        HistoryStep(
            events.AGREED_ACTION_ADDED,
            agreer,
            visit.number,
            ended,
            {"agreed_action": action_id, "owner": owner, "due_on": action_due.isoformat()},
        )
    )
    visit.outcome, visit.ended_on = engine.StageOutcome.RESOLVED, ended
    visit.reason = "Agreed a plan both agencies can work to."
    story.history.append(
        HistoryStep(
            events.ESCALATION_RESOLVED,
            agreer,
            visit.number,
            ended,
            {"agreed_actions": 1, "proposal": proposal_id},
        )
    )
    checked_by = None
    if story.status is engine.Status.CLOSED:
        checked_on = min(action_due, today)
        checked_by = story.raised_by_id
        for event, data in (
            (events.AGREED_ACTION_UNDERSTANDING_CONFIRMED, {"agreed_action": action_id}),
            (events.AGREED_ACTION_CHECKED, {"agreed_action": action_id, "implemented": True}),
        ):
            story.history.append(
                HistoryStep(
                    event, owner if "und" in event else checked_by, visit.number, checked_on, data
                )
            )
        story.closed_on = checked_on
        story.history.append(
            HistoryStep(events.ESCALATION_CLOSED, checked_by, visit.number, checked_on, {})
        )
    story.action = (action_id, owner, action_due, checked_by)


def _take_part(story: Story, person_id: int) -> None:
    """``escalation.participants.add(actor)``, as every service that acts does."""
    if person_id not in story.participant_ids:
        story.participant_ids.append(person_id)


def _working_on_or_before(calendar: WorkingCalendar, day: date) -> date:
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


@lru_cache(maxsize=200_000)
def _due_cached(
    policy_pk: int, number: int, raised_on: date, entered_on: date, plan_key: int
) -> date | None:
    plan = _PLANS[plan_key]
    return due_on(
        plan.rules.stage(number).deadline,
        raised_on=raised_on,
        entered_on=entered_on,
        calendar=plan.calendar,
    )


_PLANS: dict[int, PartnershipPlan] = {}


def _due(plan: PartnershipPlan, number: int, raised_on: date, entered_on: date) -> date | None:
    _PLANS[id(plan)] = plan
    return _due_cached(plan.policy.pk, number, raised_on, entered_on, id(plan))


# --- rows, one function per table -------------------------------------------------------------

Row = tuple[Any, ...]


def subject_rows(story: Story, rng: random.Random) -> Iterable[Row]:
    name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    yield (
        story.subject_id,
        story.plan.policy.partnership_id,
        story.subject_kind.value,
        name,
        None,
        f"BULK-{story.subject_id}",
        "",
    )


SUBJECT_COLUMNS = [
    "id",
    "partnership_id",
    "kind",
    "name",
    "date_of_birth",
    "case_reference",
    "nhs_number",
]


ESCALATION_COLUMNS = [
    "id",
    "reference",
    "partnership_id",
    "policy_id",
    "subject_id",
    "raised_by_id",
    "raising_agency_id",
    "other_agency_id",
    "counterpart_id",
    "category",
    "decision_disputed",
    "evidence",
    "desired_outcome",
    "subject_views",
    "immediate_risk",
    "same_day_route_taken",
    "entry_route",
    "status",
    "stage_number",
    "final_stage_number",
    "stage_due_on",
    "raised_on",
    "revision",
    "created_at",
    "closed_at",
    "legal_hold",
    "legal_hold_reason",
    "anonymised_at",
    "panel_reason",
    "waiting_on",
]


def escalation_rows(story: Story) -> Iterable[Row]:
    plan = story.plan
    yield (
        story.id,
        story.reference,
        plan.policy.partnership_id,
        plan.policy.pk,
        story.subject_id,
        story.raised_by_id,
        story.raising_agency_id,
        story.other_agency_id,
        story.counterpart_id,
        story.category,
        "The referral was judged below threshold despite the concerns recorded (invented).",
        "Attendance records and two recorded incidents (invented).",
        "A strategy discussion and an assessment.",
        "",
        False,
        False,
        "",
        story.status.value,
        story.stage_number,
        plan.rules.final_stage.number,
        story.stages[-1].due_on,
        story.raised_on,
        story.revision,
        _moment(story.raised_on, 0),
        _moment(story.closed_on, 50) if story.closed_on else None,
        False,
        "",
        None,
        "",
        waiting_on(story).value,
    )


def waiting_on(story: Story) -> moves.WaitingOn:
    """Whose move it is, from the stage machine, as the services store it."""
    return moves.waiting_on(
        moves.Case(
            partnership_id=story.plan.policy.partnership_id,
            status=story.status,
            stage_number=story.stage_number,
            raised_on=story.raised_on,
            raised_by_id=story.raised_by_id,
            parties=tuple(
                moves.Party(agency_id, moves.Side(side))
                for agency_id, side, _, _ in _parties(story)
            ),
            named_person_ids=frozenset(access_facts(story).named_person_ids),
        ),
        story.plan.rules,
    )


def _parties(story: Story) -> list[tuple[int, str, int | None, bool]]:
    return [
        (story.raising_agency_id, Party.Side.RAISING.value, story.raised_by_id, True),
        (
            story.other_agency_id,
            Party.Side.CHALLENGED.value,
            story.counterpart_id,
            story.other_told,
        ),
    ]


PARTY_COLUMNS = [
    "id",
    "escalation_id",
    "agency_id",
    "side",
    "is_lead",
    "practitioner_id",
    "joined_on",
    "is_told",
]


def party_rows(story: Story, ids: Ids) -> Iterable[Row]:
    for agency_id, side, practitioner, told in _parties(story):
        yield (
            ids.take("party"),
            story.id,
            agency_id,
            side,
            False,
            practitioner,
            story.raised_on,
            told,
        )


STAGE_ENTRY_COLUMNS = [
    "id",
    "escalation_id",
    "number",
    "entered_on",
    "due_on",
    "outcome",
    "outcome_reason",
    "ended_on",
]


def stage_entry_rows(story: Story, ids: Ids) -> Iterable[Row]:
    for visit in story.stages:
        yield (
            ids.take("stage_entry"),
            story.id,
            visit.number,
            visit.entered_on,
            visit.due_on,
            visit.outcome,
            visit.reason,
            visit.ended_on,
        )


CONTACT_COLUMNS = [
    "id",
    "escalation_id",
    "stage_number",
    "kind",
    "between",
    "summary",
    "outcome",
    "decision_makers",
    "happened_on",
    "recorded_by_id",
    "recorded_at",
]


def contact_rows(story: Story) -> Iterable[Row]:
    for contact_id, number, kind, happened, recorder in story.contacts:
        yield (
            contact_id,
            story.id,
            number,
            kind,
            "The practitioners of both agencies (invented).",
            "Discussed the concerns and what each agency has seen.",
            "Each agency to share its records by the end of the week.",
            "",
            happened,
            recorder,
            _moment(happened, 5),
        )


PARTICIPANT_COLUMNS = ["id", "escalation_id", "person_id"]


def participant_rows(story: Story, ids: Ids) -> Iterable[Row]:
    for person_id in story.participant_ids:
        yield (ids.take("participant"), story.id, person_id)


def access_facts(story: Story) -> access.CaseAccessFacts:
    """The facts ``Escalation.access_facts`` reads, from the story instead of the rows."""
    named = {story.raised_by_id, *story.participant_ids}
    told = {story.other_agency_id} if story.other_told else set()
    if story.counterpart_id and story.other_agency_id in told:
        named.add(story.counterpart_id)
    return access.CaseAccessFacts(
        partnership_id=story.plan.policy.partnership_id,
        party_agency_ids=frozenset({story.raising_agency_id, *told}),
        named_person_ids=frozenset(named),
        panel_member_ids=frozenset(),
        at_final_stage=story.stage_number == story.plan.rules.final_stage.number,
        is_finished=story.status in {engine.Status.CLOSED, engine.Status.WITHDRAWN},
    )


INVOLVEMENT_COLUMNS = ["id", "escalation_id", "why", "person_id", "agency_id"]


def involvement_rows(story: Story, ids: Ids) -> Iterable[Row]:
    """The rows ``keep_involvement`` would store, from ``access.involvements``."""
    for fact in sorted(access.involvements(access_facts(story))):
        yield (ids.take("involvement"), story.id, fact.why.value, fact.person_id, fact.agency_id)


PROPOSAL_COLUMNS = [
    "id",
    "escalation_id",
    "stage_number",
    "agency_id",
    "proposed_by_id",
    "agreed_outcome",
    "actions",
    "state",
    "proposed_at",
]


def proposal_rows(story: Story) -> Iterable[Row]:
    if story.proposal is None or story.action is None:
        return
    proposal_id, agency_id, proposer, on = story.proposal
    _, owner, action_due, _ = story.action
    yield (
        proposal_id,
        story.id,
        story.stage_number,
        agency_id,
        proposer,
        "Agreed a plan both agencies can work to.",
        [
            {
                "description": "Share the assessment.",
                "owner": owner,
                "due_on": action_due.isoformat(),
            }
        ],
        ResolutionProposal.State.AGREED.value,
        _moment(on, 10),
    )


CONFIRMATION_COLUMNS = ["id", "proposal_id", "agency_id", "confirmed_by_id", "confirmed_at"]


def confirmation_rows(story: Story) -> Iterable[Row]:
    if story.confirmation is None or story.proposal is None:
        return
    confirmation_id, agency_id, person_id = story.confirmation
    yield (confirmation_id, story.proposal[0], agency_id, person_id, _moment(story.proposal[3], 20))


ACTION_COLUMNS = [
    "id",
    "escalation_id",
    "stage_number",
    "description",
    "owner_id",
    "due_on",
    "understanding_confirmed_at",
    "understanding_confirmed_by_id",
    "implementation",
    "checked_at",
    "checked_by_id",
    "check_note",
    "superseded_at",
]


def action_rows(story: Story) -> Iterable[Row]:
    if story.action is None:
        return
    action_id, owner, action_due, checked_by = story.action
    checked_at = _moment(story.closed_on, 30) if checked_by and story.closed_on else None
    yield (
        action_id,
        story.id,
        story.stage_number,
        "Share the assessment.",
        owner,
        action_due,
        checked_at,
        owner if checked_by else None,
        AgreedAction.Implementation.IMPLEMENTED.value
        if checked_by
        else AgreedAction.Implementation.PENDING.value,
        checked_at,
        checked_by,
        "",
        None,
    )


AUDIT_COLUMNS = [
    "id",
    "occurred_at",
    "event",
    "actor_id",
    "escalation_id",
    "partnership_id",
    "stage_number",
    "data",
    "previous_hash",
    "hash",
]


class Chain:
    """The hash chain's tail, carried from batch to batch as ``audit.record`` carries it."""

    def __init__(self, last_hash: str) -> None:
        self.last_hash = last_hash

    def link(self, content: dict[str, Any]) -> tuple[str, str]:
        previous = self.last_hash
        self.last_hash = event_hash(previous_hash=previous, content=content)
        return previous, self.last_hash


def audit_rows(story: Story, ids: Ids, chains: dict[int, Chain]) -> Iterable[Row]:
    """The history on the partnership's own chain, hashed as ``audit.record`` hashes it."""
    partnership_id = story.plan.policy.partnership_id
    chain = chains[partnership_id]
    for minute, step in enumerate(story.history):
        occurred_at = _moment(step.on, minute)
        content = event_content(
            occurred_at=occurred_at,
            event=step.event,
            actor_id=step.actor_id,
            escalation_id=story.id,
            stage_number=step.stage_number,
            data=step.data,
            partnership_id=partnership_id,
        )
        previous, digest = chain.link(content)
        yield (
            ids.take("audit"),
            occurred_at,
            step.event,
            step.actor_id,
            story.id,
            partnership_id,
            step.stage_number,
            step.data,
            previous,
            digest,
        )


def _moment(day: date, minute: int) -> datetime:
    """A time on ``day`` in UTC, whole seconds, as the database gives it back."""
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    key: str
    model: type[models.Model]
    columns: Sequence[str]

    @property
    def name(self) -> str:
        return self.model._meta.db_table


TABLES = (
    Table("subject", Subject, SUBJECT_COLUMNS),
    Table("escalation", Escalation, ESCALATION_COLUMNS),
    Table("party", Party, PARTY_COLUMNS),
    Table("stage_entry", StageEntry, STAGE_ENTRY_COLUMNS),
    Table("contact", Contact, CONTACT_COLUMNS),
    Table("participant", Escalation.participants.through, PARTICIPANT_COLUMNS),
    Table("involvement", Involvement, INVOLVEMENT_COLUMNS),
    Table("proposal", ResolutionProposal, PROPOSAL_COLUMNS),
    Table("confirmation", ResolutionConfirmation, CONFIRMATION_COLUMNS),
    Table("action", AgreedAction, ACTION_COLUMNS),
    Table("audit", AuditEvent, AUDIT_COLUMNS),
)
_SEQUENCED = [table for table in TABLES if table.key != "escalation"]


def rows_for(
    stories: list[Story], rng: random.Random, ids: Ids, chains: dict[int, Chain]
) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {table.key: [] for table in TABLES}
    for story in stories:
        rows["subject"].extend(subject_rows(story, rng))
        rows["escalation"].extend(escalation_rows(story))
        rows["party"].extend(party_rows(story, ids))
        rows["stage_entry"].extend(stage_entry_rows(story, ids))
        rows["contact"].extend(contact_rows(story))
        rows["participant"].extend(participant_rows(story, ids))
        rows["involvement"].extend(involvement_rows(story, ids))
        rows["proposal"].extend(proposal_rows(story))
        rows["confirmation"].extend(confirmation_rows(story))
        rows["action"].extend(action_rows(story))
        rows["audit"].extend(audit_rows(story, ids, chains))
    return rows


def _write(table: Table, rows: list[Row]) -> None:
    if not rows:
        return
    fields = [_field(table.model, column) for column in table.columns]
    json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    if connection.vendor == "postgresql":
        statement = f"COPY {table.name} ({columns}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if json_columns:
                    cells = list(row)
                    for i in json_columns:
                        cells[i] = json.dumps(cells[i])
                    row = tuple(cells)
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(fields))
    prepared = [
        [f.get_db_prep_save(value, connection) for f, value in zip(fields, row, strict=True)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders})",  # noqa: S608
            prepared,
        )


def _field(model: type[models.Model], column: str) -> models.Field[Any, Any]:
    for f in model._meta.concrete_fields:
        if f.column == column:
            return f
    raise LookupError(f"{model._meta.db_table} has no column {column}: the schema moved.")


def _next_ids() -> dict[str, int]:
    starts = {}
    with connection.cursor() as cursor:
        for table in _SEQUENCED:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}")  # noqa: S608
            starts[table.key] = cursor.fetchone()[0]
    return starts


def _move_sequences(ids: Ids) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id inserted
    with connection.cursor() as cursor:
        for table in _SEQUENCED:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                [table.name, ids.next[table.key]],
            )


def _lock_tables() -> None:
    if connection.vendor == "postgresql":
        names = ", ".join([*(table.name for table in TABLES), ReferenceCounter._meta.db_table])
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")


# --- references -------------------------------------------------------------------------------


class References:
    """Each partnership's next reference for a year (``NEL-2026-000123``), counting on from
    its ``ReferenceCounter`` row; ``save`` leaves the counters where the seeding stopped, so
    ``references.next_reference`` carries on from there."""

    def __init__(self) -> None:
        self.last: dict[tuple[int, int], int] = dict(
            ((pid, year), number)
            for pid, year, number in ReferenceCounter.objects.values_list(
                "partnership_id", "year", "last_number"
            )
        )

    def next(self, partnership: Partnership, raised_on: date) -> str:
        key = (partnership.pk, raised_on.year)
        number = self.last.get(key, 0) + 1
        self.last[key] = number
        return format_reference(code=partnership.code, year=raised_on.year, number=number)

    def save(self) -> None:
        for (partnership_id, year), number in self.last.items():
            ReferenceCounter.objects.update_or_create(
                partnership_id=partnership_id, year=year, defaults={"last_number": number}
            )


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedReport:
    escalations: int
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.escalations / self.seconds if self.seconds else 0.0


Progress = Callable[[int, int], None]


def seed(
    count: int,
    *,
    batch_size: int = 10_000,
    agencies: int = 40,
    random_seed: int = 2026,
    today: date | None = None,
    defer_indexes: bool = False,
    progress: Progress | None = None,
) -> SeedReport:
    """Add ``count`` invented escalations over every partnership's current policy.

    One transaction: all of them or none. A second thread draws the next batch while the
    database takes the last one. ``defer_indexes`` (PostgreSQL) drops the written tables'
    non-unique indexes and foreign keys first and builds them again at the end, in the same
    transaction (so a dangling reference still fails the whole run).
    """
    started = time.perf_counter()
    today = today or local_today()
    rng = random.Random(random_seed + _existing_escalations())  # noqa: S311 - invented data
    plans = _plans(agencies)
    if not plans:
        raise ValueError("No policies are loaded: run `escalate load_policies` first.")
    written = 0
    with _HeldLocks(plans), transaction.atomic():
        _lock_tables()
        _quick_commit()
        dropped = _drop_plain_indexes() if defer_indexes else []
        ids = Ids(_next_ids())
        references = References()
        chains = {
            plan.policy.partnership_id: Chain(chain_tail(plan.policy.partnership_id))
            for plan in plans
        }
        sizes = [min(batch_size, count - done) for done in range(0, count, batch_size)]
        batches: queue.Queue[dict[str, list[Row]] | BaseException | None] = queue.Queue(2)

        def draw_all() -> None:
            try:
                for size in sizes:
                    drawn = _draw_batch(rng, plans, ids, references, size=size, today=today)
                    batches.put(rows_for(drawn, rng, ids, chains))
                batches.put(None)
            except BaseException as problem:  # handed to the writing thread to raise
                batches.put(problem)

        drawer = threading.Thread(target=draw_all, name="seed-bulk-draw", daemon=True)
        drawer.start()
        done = 0
        for size in sizes:
            rows = batches.get()
            if isinstance(rows, BaseException):
                raise rows
            assert rows is not None
            for table in TABLES:
                _write(table, rows[table.key])
                written += len(rows[table.key])
            done += size
            if progress:
                progress(done, count)
        drawer.join()
        _move_sequences(ids)
        references.save()
        for statement in dropped:
            with connection.cursor() as cursor:
                cursor.execute(statement)
    return SeedReport(count, written, time.perf_counter() - started)


def _quick_commit() -> None:
    """Not waiting for the disk at commit: a crash may lose the seeding, never corrupt it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Django's foreign keys are checked at commit; over millions of rows that queue
            # outgrows memory, so check each row as it is copied instead.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _drop_plain_indexes() -> list[str]:
    """Drop the written tables' non-unique indexes and foreign keys; return what rebuilds them.

    Unique indexes stay (they are what refuses a duplicate). Each foreign key, checked row by
    row while copying, costs an index probe per reference; added back at the end, PostgreSQL
    checks every row in one join, and the transaction fails if any reference is dangling.
    """
    if connection.vendor != "postgresql":
        return []
    names = [table.name for table in TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE c.contype = 'f' AND t.relname = ANY(%s)
            """,
            [names],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary
            """,
            [names],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    rebuild_indexes = [definition for _, definition in indexes]
    add_foreign_keys = [
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition in foreign_keys
    ]
    return rebuild_indexes + add_foreign_keys


def _draw_batch(
    rng: random.Random,
    plans: list[PartnershipPlan],
    ids: Ids,
    references: References,
    *,
    size: int,
    today: date,
) -> list[Story]:
    stories = []
    weights = [len(plan.staff) for plan in plans]
    for plan in rng.choices(plans, weights=weights, k=size):
        # The reference is drawn after the raise date is known, so draw, then number.
        story = draw_story(rng, plan, ids, reference="", today=today)
        story.reference = references.next(plan.policy.partnership, story.raised_on)
        stories.append(story)
    return stories


def _plans(agencies: int) -> list[PartnershipPlan]:
    plans = []
    for policy in current_policies():
        rules = policy.rules
        staff = ensure_directory(policy, agencies=agencies)
        if len(staff) < 2:
            continue
        plans.append(
            PartnershipPlan(
                policy=policy,
                rules=rules,
                calendar=calendar_for(rules),
                staff=staff,
                categories=[c.key for c in rules.categories],
                covers=sorted(rules.covers),
            )
        )
    return plans


def _existing_escalations() -> int:
    return Escalation.objects.count()


class _HeldLocks:
    """Hold every partnership chain's advisory lock (``audit.services``) for the whole run."""

    def __init__(self, plans: list[PartnershipPlan]) -> None:
        self.partnership_ids = [plan.policy.partnership_id for plan in plans]

    def __enter__(self) -> None:
        self._each("pg_advisory_lock")

    def __exit__(self, *exc: object) -> None:
        self._each("pg_advisory_unlock")

    def _each(self, function: str) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for pid in self.partnership_ids:
                    cursor.execute(
                        f"SELECT {function}(%s::integer, %s::integer)",
                        list(chain_lock_key(pid)),
                    )
