"""Seeding many invented escalations at once, for benchmarks at national scale.

The rows are the ones the services would write, made without going through them one
escalation at a time: each escalation's story (who raised it, its stages, contacts,
resolution or withdrawal) is drawn first, then one function per table turns stories into
rows, and the rows go to the database in batches. On PostgreSQL, worker processes (one per
CPU, each with its own partnerships) draw the stories and format them as ``COPY`` text, and
the process holding the one transaction only copies what they send; elsewhere the rows go in
with plain ``INSERT`` from this process, which is slow and meant only for tests. Due dates
come from the domain (``deadlines.due_on`` with the partnership's calendar), whose move it is
from ``moves.waiting_on``, involvement rows from ``access.involvements``, and the history is
hash-chained onto whatever chain is already there, as ``audit.record`` would.

Every name here is made up. Nothing else may write while it runs: each batch locks the
tables it writes, and the whole run holds the chain's and the references' locks.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import random
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import uuid6
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models.functions import TruncMonth

from escalate.audit import events
from escalate.audit.chain import keyed_link
from escalate.audit.keys import AuditKey, current_key
from escalate.audit.models import AuditEvent
from escalate.audit.services import chain_lock_key, chain_tail
from escalate.domain import access, engine, moves
from escalate.domain.calendar import WorkingCalendar
from escalate.domain.deadlines import due_on
from escalate.domain.policy import Agreement, LadderRole, PolicyRules, SubjectKind
from escalate.escalations import authority
from escalate.escalations.clock import calendar_for, local_today
from escalate.escalations.models import (
    NONE_DUE,
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
from escalate.escalations.signals import cases_written_in_bulk
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
    id_text: str = ""
    """``str(id)``, made once: a dozen rows and every audit hash carry it."""

    @cached_property
    def access_facts(self) -> access.CaseAccessFacts:
        """Read once the story is drawn (``waiting_on`` and the involvement rows both need it)."""
        return access_facts(self)

    @property
    def stage_number(self) -> int:
        return self.stages[-1].number

    @property
    def revision(self) -> int:
        """One, plus one for every change a service saved after the raise."""
        unsaved = {events.ESCALATION_RAISED, events.AGREED_ACTION_ADDED}
        return 1 + sum(1 for step in self.history if step.event not in unsaved)


class Ids:
    """Hands out primary keys from each table's start, ``step`` apart from ``offset`` on.

    Worker ``w`` of ``W`` takes ``start + w``, ``start + w + W``, ...: the workers' keys never
    collide, and none needs to ask the database for one.
    """

    def __init__(self, starts: dict[str, int], *, offset: int = 0, step: int = 1) -> None:
        self.starts = dict(starts)
        self.step = step
        self.next = {table: start + offset for table, start in starts.items()}

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + self.step
        return value

    def free_from(self) -> dict[str, int]:
        """Per table, the first key above every key taken here (the start if none was)."""
        return {
            table: max(self.starts[table], value - self.step + 1)
            for table, value in self.next.items()
        }


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
    escalation_id = _escalation_id_made_at(_moment(raised_on, 0))
    story = Story(
        id=escalation_id,
        id_text=str(escalation_id),
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
    "subject_kind",
    "status",
    "stage_number",
    "final_stage_number",
    "stage_due_on",
    "raised_on",
    "resolved_in_working_days",
    "revision",
    "created_at",
    "closed_at",
    "legal_hold",
    "legal_hold_reason",
    "anonymised_at",
    "panel_reason",
    "waiting_on",
    "case_facts",
]


def escalation_rows(story: Story) -> Iterable[Row]:
    plan = story.plan
    case = case_of(story)
    yield (
        story.id_text,
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
        story.subject_kind.value,
        story.status.value,
        story.stage_number,
        plan.rules.final_stage.number,
        story.stages[-1].due_on,
        story.raised_on,
        _resolved_in_working_days(story),
        story.revision,
        _moment(story.raised_on, 0),
        _moment(story.closed_on, 50) if story.closed_on else None,
        False,
        "",
        None,
        "",
        moves.waiting_on(case, plan.rules).value,
        authority.stored_facts(case),
    )


def case_of(story: Story) -> moves.Case:
    """The stage machine's facts of a drawn story (its two parties and the people named),
    from which its ``waiting_on`` and ``case_facts`` are written as the services write them."""
    return moves.Case(
        partnership_id=story.plan.policy.partnership_id,
        status=story.status,
        stage_number=story.stage_number,
        raised_on=story.raised_on,
        raised_by_id=story.raised_by_id,
        parties=tuple(
            moves.Party(agency_id, moves.Side(side)) for agency_id, side, _, _ in _parties(story)
        ),
        # As ``authority.case_of`` names them: the counterpart too, told or not.
        named_person_ids=frozenset(
            person_id
            for person_id in (story.raised_by_id, *story.participant_ids, story.counterpart_id)
            if person_id is not None
        ),
        actions=_action_facts(story),
    )


def _action_facts(story: Story) -> tuple[moves.ActionFacts, ...]:
    """The agreed action ``action_rows`` writes, as the stage machine sees it (the seeded
    proposal is already agreed, so it is no open proposal)."""
    if story.action is None:
        return ()
    action_id, _, _, checked_by = story.action
    return (
        moves.ActionFacts(
            action_id,
            understanding_confirmed=bool(checked_by and story.closed_on),
            implementation=moves.Implementation.IMPLEMENTED
            if checked_by
            else moves.Implementation.PENDING,
        ),
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
            story.id_text,
            agency_id,
            side,
            False,
            practitioner,
            story.raised_on,
            told,
        )


def _resolved_in_working_days(story: Story) -> int | None:
    """As the services keep it: working days from the raise to the stage that ended resolved."""
    for visit in story.stages:
        if visit.outcome == engine.StageOutcome.RESOLVED and visit.ended_on is not None:
            return story.plan.calendar.working_days_between(story.raised_on, visit.ended_on)
    return None


STAGE_ENTRY_COLUMNS = [
    "id",
    "escalation_id",
    "number",
    "entered_on",
    "due_on",
    "outcome",
    "outcome_reason",
    "ended_on",
    "working_days",
    "partnership_id",
    "case_raised_on",
]


def stage_entry_rows(story: Story, ids: Ids) -> Iterable[Row]:
    calendar = story.plan.calendar
    for visit in story.stages:
        yield (
            ids.take("stage_entry"),
            story.id_text,
            visit.number,
            visit.entered_on,
            visit.due_on,
            visit.outcome,
            visit.reason,
            visit.ended_on,
            calendar.working_days_between(visit.entered_on, visit.ended_on)
            if visit.ended_on
            else None,
            story.plan.policy.partnership_id,
            story.raised_on,
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
            story.id_text,
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
        yield (ids.take("participant"), story.id_text, person_id)


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


INVOLVEMENT_COLUMNS = [
    "id",
    "escalation_id",
    "why",
    "person_id",
    "agency_id",
    "is_open",
    "due_key",
    "raised_on",
    "created_at",
]


def involvement_rows(story: Story, ids: Ids) -> Iterable[Row]:
    """The rows ``keep_involvement`` would store, from ``access.involvements``, with the
    escalation's sort keys as ``involvement.SortKeys`` copies them."""
    is_open = story.status is engine.Status.OPEN
    due_key = story.stages[-1].due_on or NONE_DUE
    created_at = _moment(story.raised_on, 0)
    for fact in sorted(access.involvements(story.access_facts)):
        yield (
            ids.take("involvement"),
            story.id_text,
            fact.why.value,
            fact.person_id,
            fact.agency_id,
            is_open,
            due_key,
            story.raised_on,
            created_at,
        )


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
        story.id_text,
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
        story.id_text,
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
    "key_id",
]


class Chain:
    """The hash chain's tail, carried from batch to batch as ``audit.record`` carries it, and
    linked with the same audit key (decision 22)."""

    def __init__(self, last_hash: str, key: AuditKey | None = None) -> None:
        self.last_hash = last_hash
        self.key = key or current_key()

    def link(self, canonical_content: str) -> tuple[str, str]:
        previous = self.last_hash
        self.last_hash = keyed_link(
            previous_hash=previous, canonical_content=canonical_content, secret=self.key.secret
        )
        return previous, self.last_hash


@dataclass(frozen=True, slots=True)
class JsonValue:
    """A JSON column's value with its text already made (the audit hash needed it anyway)."""

    value: Any
    text: str


def canonical_content(
    *,
    occurred_at: str,
    event: str,
    actor_id: int | None,
    escalation_id: str,
    stage_number: int | None,
    canonical_data: str,
    partnership_id: int,
) -> str:
    """The text ``event_hash`` hashes for ``event_content(...)`` on a partnership's chain.

    Written out by hand, keys in sorted order, because ``json.dumps(sort_keys=True)`` of the
    whole content was the seeder's largest cost; a test holds the two equal.
    """
    return (
        f'{{"actor":{_json_int(actor_id)},"data":{canonical_data},'
        f'"escalation":"{escalation_id}","event":{_json_string(event)},'
        f'"occurred_at":"{occurred_at}","partnership":{partnership_id},'
        f'"stage":{_json_int(stage_number)}}}'
    )


def canonical_json(value: Any) -> str:
    """As ``event_hash`` writes a value; PostgreSQL's jsonb stores it as it would any other."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _json_int(value: int | None) -> str:
    return "null" if value is None else str(value)


@lru_cache(maxsize=256)
def _json_string(value: str) -> str:
    return json.dumps(value)


def audit_rows(story: Story, ids: Ids, chains: dict[int, Chain]) -> Iterable[Row]:
    """The history on the partnership's own chain, hashed as ``audit.record`` hashes it."""
    partnership_id = story.plan.policy.partnership_id
    chain = chains[partnership_id]
    for minute, step in enumerate(story.history):
        occurred_at = _moment(step.on, minute)
        data = JsonValue(step.data, canonical_json(step.data))
        previous, digest = chain.link(
            canonical_content(
                occurred_at=occurred_at.isoformat(),
                event=step.event,
                actor_id=step.actor_id,
                escalation_id=story.id_text,
                stage_number=step.stage_number,
                canonical_data=data.text,
                partnership_id=partnership_id,
            )
        )
        yield (
            ids.take("audit"),
            occurred_at,
            step.event,
            step.actor_id,
            story.id_text,
            partnership_id,
            step.stage_number,
            data,
            previous,
            digest,
            chain.key.key_id,
        )


def _escalation_id_made_at(moment: datetime) -> uuid.UUID:
    """A time-ordered id (as ``models.new_escalation_id`` makes) for a case recorded then."""
    milliseconds = int(moment.timestamp() * 1000)
    rest = int.from_bytes(os.urandom(10), "big")  # not from the story's generator: ids only
    return uuid.UUID(int=uuid6.UUID(int=milliseconds << 80 | rest, version=7).int)


@lru_cache(maxsize=65_536)  # a few thousand days times a few dozen minutes
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


_TABLE_BY_KEY = {table.key: table for table in TABLES}


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


# PostgreSQL's COPY text format: a tab between cells, a newline after each row, \N for NULL,
# and a backslash before the four characters that would otherwise end a cell or a row.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    # Nearly every cell is plain; looking is cheaper than translating.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _copy_json(value: Any) -> str:
    return _copy_text(json.dumps(value))


def _copy_other(value: Any) -> str:
    """Cells of a type the table below does not name: enum members, mostly."""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return _copy_text(str.__str__(value))
    raise TypeError(f"The bulk seeder cannot copy a {type(value).__name__}: {value!r}.")


_COPY_CELL: dict[type, Callable[[Any], str]] = {
    str: _copy_text,
    int: str,
    bool: lambda value: "t" if value else "f",
    type(None): lambda _: "\\N",
    # The same few thousand days and moments come back in every batch (``_moment`` is cached).
    date: lru_cache(maxsize=65_536)(date.isoformat),
    datetime: lru_cache(maxsize=65_536)(datetime.isoformat),
    uuid.UUID: str,
    JsonValue: lambda value: _copy_text(value.text),
    dict: _copy_json,
    list: _copy_json,
}


def copy_text(rows: list[Row]) -> bytes:
    """``rows`` as the body of ``COPY ... FROM STDIN`` (text format, UTF-8)."""
    cell, other = _COPY_CELL, _copy_other
    lines = ["\t".join([cell.get(type(value), other)(value) for value in row]) for row in rows]
    lines.append("")
    return "\n".join(lines).encode()


def _copy(table: Table, data: bytes) -> None:
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    statement = f"COPY {table.name} ({columns}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(data)


def _insert(table: Table, rows: list[Row]) -> None:
    """Plain ``INSERT``s, for databases without ``COPY`` (tests on SQLite)."""
    if not rows:
        return
    fields = [_field(table.model, column) for column in table.columns]
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    placeholders = ", ".join(["%s"] * len(fields))
    prepared = [
        [
            f.get_db_prep_save(value.value if isinstance(value, JsonValue) else value, connection)
            for f, value in zip(fields, row, strict=True)
        ]
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


def _move_sequences(free_from: dict[str, int]) -> None:
    """Each table's sequence to the first key above every one the workers took."""
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id inserted
    with connection.cursor() as cursor:
        for table in _SEQUENCED:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                [table.name, free_from[table.key]],
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

    def of(self, partnership_ids: set[int]) -> dict[tuple[int, int], int]:
        """The counters of these partnerships only (what one worker moved)."""
        return {key: number for key, number in self.last.items() if key[0] in partnership_ids}

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


DEFER_INDEXES_FROM = 50_000
"""By default, seeding at least this many, and at least as many as are stored, defers indexes.

Rebuilding costs in proportion to the rows stored, loading without them saves in proportion to
the rows added: worth it for a large first load, not for topping up a large table.
"""


def seed(
    count: int,
    *,
    batch_size: int = 10_000,
    agencies: int = 40,
    random_seed: int = 2026,
    today: date | None = None,
    defer_indexes: bool | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Add ``count`` invented escalations over every partnership's current policy.

    One transaction: all of them or none. On PostgreSQL, ``workers`` processes (default: one
    per CPU, at most one per partnership) draw the stories and format them as ``COPY`` text,
    and this process only copies what they send; a worker's failure raises ``WorkerFailed``
    and nothing is written. Each partnership is drawn by one worker (its hash chain and its
    reference counters are sequential), with a share of ``count`` in proportion to its staff.
    ``defer_indexes`` (PostgreSQL; default: see ``DEFER_INDEXES_FROM``) drops the written
    tables' indexes (primary keys aside) and foreign keys first and builds them again at the
    end, in the same transaction (so a duplicate or a dangling reference still fails the whole
    run). Elsewhere the rows go in here, with plain ``INSERT``s.
    """
    started = time.perf_counter()
    today = today or local_today()
    existing = _existing_escalations()
    plans = _plans(agencies)
    if not plans:
        raise ValueError("No policies are loaded: run `escalate load_policies` first.")
    if defer_indexes is None:
        defer_indexes = count >= DEFER_INDEXES_FROM and count >= existing
    is_postgresql = connection.vendor == "postgresql"
    shares = _shares(count, plans)
    # One per CPU measured best here: a third worker (five partnerships dealt 2:2:1, not 3:2)
    # keeps both CPUs busy at the end, but cost more CPU than it saved (1M: 753 s, not 686 s).
    worker_count = min(workers or os.cpu_count() or 1, len(plans)) if is_postgresql else 1
    with _HeldLocks(plans), transaction.atomic():
        _lock_tables()
        _quick_commit()
        dropped = _drop_indexes() if defer_indexes else []
        starts = _next_ids()
        references = References()
        chains = {
            plan.policy.partnership_id: Chain(chain_tail(plan.policy.partnership_id))
            for plan in plans
        }
        jobs = _jobs(
            plans,
            shares,
            workers=worker_count,
            starts=starts,
            random_seed=f"{random_seed}/{existing}",
        )
        run = SeedRun(references=references, chains=chains, batch_size=batch_size, today=today)
        if is_postgresql:
            written, free_from = _copy_from_workers(jobs, run, total=count, progress=progress)
        else:
            written, free_from = _insert_here(jobs, run, total=count, progress=progress)
        _move_sequences(free_from)
        references.save()
        cases_written_in_bulk.send(Escalation, months=_months_with_cases(plans))
        for statement in dropped:
            with connection.cursor() as cursor:
                cursor.execute(statement)
    return SeedReport(count, written, time.perf_counter() - started)


def _months_with_cases(plans: list[PartnershipPlan]) -> list[tuple[int, date]]:
    """Each (partnership, first day of a month) the seeded partnerships have cases raised in."""
    months = (
        Escalation.objects.filter(partnership_id__in={p.policy.partnership_id for p in plans})
        .annotate(month=TruncMonth("raised_on"))
        .values_list("partnership_id", "month")
        .distinct()
        .order_by()
    )
    return list(months)


class WorkerFailed(RuntimeError):
    """A seeding worker stopped with an error; the run is rolled back."""


@dataclass
class SeedJob:
    """One worker's part: its partnerships, how many escalations each, and its keys."""

    index: int
    plans: list[PartnershipPlan]
    counts: list[int]
    ids: Ids
    random_seed: str

    @property
    def partnership_ids(self) -> set[int]:
        return {plan.policy.partnership_id for plan in self.plans}


@dataclass
class SeedRun:
    """What every job reads and (in its own process, for its own partnerships) moves on."""

    references: References
    chains: dict[int, Chain]
    batch_size: int
    today: date


def _shares(count: int, plans: list[PartnershipPlan]) -> list[int]:
    """``count`` split in proportion to each partnership's staff (largest remainders)."""
    weights = [len(plan.staff) for plan in plans]
    total = sum(weights)
    exact = [count * weight / total for weight in weights]
    shares = [int(share) for share in exact]
    by_remainder = sorted(range(len(plans)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: count - sum(shares)]:
        shares[i] += 1
    return shares


def _jobs(
    plans: list[PartnershipPlan],
    shares: list[int],
    *,
    workers: int,
    starts: dict[str, int],
    random_seed: str,
) -> list[SeedJob]:
    """Partnerships dealt to ``workers`` jobs, the largest share first to the lightest job."""
    jobs = [
        SeedJob(index, [], [], Ids(starts, offset=index, step=workers), f"{random_seed}/{index}")
        for index in range(workers)
    ]
    for i in sorted(range(len(plans)), key=lambda i: shares[i], reverse=True):
        lightest = min(jobs, key=lambda job: sum(job.counts))
        lightest.plans.append(plans[i])
        lightest.counts.append(shares[i])
    return jobs


def _drawn_batches(job: SeedJob, run: SeedRun) -> Iterator[tuple[int, dict[str, list[Row]]]]:
    """The job's escalations, ``run.batch_size`` at a time, as rows per table."""
    rng = random.Random(job.random_seed)  # noqa: S311 - invented data
    # The partnerships interleave, as they would if people were raising at the same time.
    order = [plan for plan, share in zip(job.plans, job.counts, strict=True) for _ in range(share)]
    rng.shuffle(order)
    for start in range(0, len(order), run.batch_size):
        stories = []
        for plan in order[start : start + run.batch_size]:
            # The reference is drawn after the raise date is known, so draw, then number.
            story = draw_story(rng, plan, job.ids, reference="", today=run.today)
            story.reference = run.references.next(plan.policy.partnership, story.raised_on)
            stories.append(story)
        yield len(stories), rows_for(stories, rng, job.ids, run.chains)


def _insert_here(
    jobs: list[SeedJob], run: SeedRun, *, total: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    """Draw and insert in this process (databases without ``COPY``: tests)."""
    written = done = 0
    for job in jobs:
        for stories, rows in _drawn_batches(job, run):
            for table in TABLES:
                _insert(table, rows[table.key])
                written += len(rows[table.key])
            done += stories
            if progress:
                progress(done, total)
    return written, _highest_free(job.ids.free_from() for job in jobs)


def _highest_free(per_job: Iterable[dict[str, int]]) -> dict[str, int]:
    free_from: dict[str, int] = {}
    for free in per_job:
        for table, value in free.items():
            free_from[table] = max(free_from.get(table, value), value)
    return free_from


# What a worker sends up its pipe: a batch's header (then each table's COPY text as bytes),
# its keys and counters when it has finished, or the traceback that stopped it.
_BATCH, _DONE, _FAILED = "batch", "done", "failed"


def _work(job: SeedJob, run: SeedRun, pipe: Connection) -> None:
    """A worker process: draw, format, send. It never touches the parent's connection."""
    try:
        for stories, rows in _drawn_batches(job, run):
            texts = [(table.key, copy_text(rows[table.key])) for table in TABLES if rows[table.key]]
            counts = [(table.key, len(rows[table.key])) for table in TABLES if rows[table.key]]
            pipe.send((_BATCH, stories, counts))
            for _, text in texts:
                pipe.send_bytes(text)
        pipe.send((_DONE, job.ids.free_from(), run.references.of(job.partnership_ids)))
    except BaseException:  # every failure goes up to the parent, which raises it
        pipe.send((_FAILED, traceback.format_exc()))
    finally:
        pipe.close()


@dataclass
class _Delivery:
    """What a relay thread hands the copying thread: a batch, a worker's end, or its failure."""

    process: BaseProcess
    stories: int = 0
    tables: list[tuple[str, int, bytes]] = field(default_factory=list)
    finished: tuple[dict[str, int], dict[tuple[int, int], int]] | None = None
    failure: WorkerFailed | None = None


RELAYED_BATCHES_PER_WORKER = 1
"""Batches read ahead from each worker while this process copies: enough that a worker never
waits for a ``COPY`` to finish before it draws on, few enough to bound the memory held."""


def _copy_from_workers(
    jobs: list[SeedJob], run: SeedRun, *, total: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    """Start a process per job, and ``COPY`` each batch they send, table by table.

    Forked (the plans, counters and chain tails are inherited, not pickled); each batch goes
    in whole, in ``TABLES`` order, so every row finds the rows it refers to before it. A
    thread per worker reads its pipe into a bounded queue, so the workers draw while this
    thread copies; the database connection is used by this thread alone.
    """
    context = multiprocessing.get_context("fork")
    deliveries: queue.Queue[_Delivery] = queue.Queue(maxsize=RELAYED_BATCHES_PER_WORKER * len(jobs))
    stop = threading.Event()
    processes: list[BaseProcess] = []
    relays: list[threading.Thread] = []
    written = done = 0
    free: list[dict[str, int]] = []
    try:
        pipes: list[Connection] = []
        for job in jobs:
            receiving, sending = context.Pipe(duplex=False)
            process: BaseProcess = context.Process(
                target=_work, args=(job, run, sending), name=f"seed-bulk-{job.index}"
            )
            process.start()
            sending.close()  # so that a worker's death reads as the end of its pipe
            processes.append(process)
            pipes.append(receiving)
        # Only once every worker is forked: a fork copies no thread but keeps the locks that
        # running threads held, which could leave a worker waiting on one for ever.
        for receiving, process in zip(pipes, processes, strict=True):
            relay = threading.Thread(
                target=_relay, args=(receiving, process, deliveries, stop), daemon=True
            )
            relay.start()
            relays.append(relay)
        running = len(jobs)
        while running:
            delivery = deliveries.get()
            if delivery.failure is not None:
                raise delivery.failure
            for key, rows, text in delivery.tables:
                _copy(_TABLE_BY_KEY[key], text)
                written += rows
            done += delivery.stories
            if delivery.stories and progress:
                progress(done, total)
            if delivery.finished is not None:
                free_from, counters = delivery.finished
                free.append(free_from)
                run.references.last.update(counters)
                delivery.process.join()
                running -= 1
    finally:
        stop.set()
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for relay in relays:
            relay.join()
    return written, _highest_free([dict(jobs[0].ids.starts), *free])


def _relay(
    pipe: Connection,
    process: BaseProcess,
    deliveries: queue.Queue[_Delivery],
    stop: threading.Event,
) -> None:
    """Read one worker's pipe into ``deliveries`` until it finishes, fails or is stopped."""
    try:
        while not stop.is_set():
            delivery = _next_delivery(pipe, process)
            _hand_over(delivery, deliveries, stop)
            if delivery.finished is not None:
                return
    except WorkerFailed as failure:
        _hand_over(_Delivery(process, failure=failure), deliveries, stop)
    except Exception as problem:  # a relay must never leave the copying thread waiting
        unreadable = WorkerFailed(
            f"Reading from seeding worker {process.name} failed, so nothing was written: "
            f"{problem!r}"
        )
        _hand_over(_Delivery(process, failure=unreadable), deliveries, stop)
    finally:
        pipe.close()


def _hand_over(
    delivery: _Delivery, deliveries: queue.Queue[_Delivery], stop: threading.Event
) -> None:
    """Queue ``delivery``, waiting while the queue is full, unless the run has stopped."""
    while not stop.is_set():
        try:
            deliveries.put(delivery, timeout=0.2)
            return
        except queue.Full:
            continue


def _next_delivery(pipe: Connection, process: BaseProcess) -> _Delivery:
    message = _receive(pipe, process)
    if message[0] == _BATCH:
        _, stories, counts = message
        tables = [(key, rows, _receive_bytes(pipe, process)) for key, rows in counts]
        return _Delivery(process, stories=stories, tables=tables)
    if message[0] == _DONE:
        _, free_from, counters = message
        return _Delivery(process, finished=(free_from, counters))
    raise WorkerFailed(
        f"Seeding worker {process.name} failed, so nothing was written:\n{message[1]}"
    )


def _receive(pipe: Connection, process: BaseProcess) -> tuple[Any, ...]:
    try:
        message = pipe.recv()
    except (EOFError, OSError):  # OSError: the pipe ended inside a message
        raise _vanished(process) from None
    assert isinstance(message, tuple)
    return message


def _receive_bytes(pipe: Connection, process: BaseProcess) -> bytes:
    try:
        return pipe.recv_bytes()
    except (EOFError, OSError):  # OSError: the worker was stopped in the middle of sending
        raise _vanished(process) from None


def _vanished(process: BaseProcess) -> WorkerFailed:
    process.join(5)
    return WorkerFailed(
        f"Seeding worker {process.name} stopped without a word (exit code "
        f"{process.exitcode}), so nothing was written."
    )


def _quick_commit() -> None:
    """Not waiting for the disk at commit: a crash may lose the seeding, never corrupt it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Django's foreign keys are checked at commit; over millions of rows that queue
            # outgrows memory, so check each row as it is copied instead.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _drop_indexes() -> list[str]:
    """Drop the written tables' indexes (their primary keys aside) and foreign keys; return
    the statements that build them again, unique ones first.

    Most keys here are random (escalations are UUIDs, audit hashes are digests), so at a
    million escalations each index outgrows the buffer cache and every copied row costs a
    random read per index. Built at the end from a sort, each costs one pass. Nothing is
    given up: the rebuild runs in the seeding's transaction, so a duplicate or a dangling
    reference still fails the whole run. Primary keys stay: other tables' foreign keys hang
    on them.
    """
    if connection.vendor != "postgresql":
        return []
    names = [table.name for table in TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE c.contype IN ('f', 'u') AND t.relname = ANY(%s)
            ORDER BY c.contype DESC
            """,
            [names],
        )
        constraints = cursor.fetchall()  # the foreign keys first: one may need a unique key
        for table, name, _, _ in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        cursor.execute(
            """
            SELECT i.relname, x.indisunique, pg_get_indexdef(x.indexrelid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND NOT x.indisprimary
            """,
            [names],
        )
        indexes = cursor.fetchall()
        for name, _, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    add = {
        kind: [
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
            for table, name, contype, definition in constraints
            if contype == kind
        ]
        for kind in ("u", "f")
    }
    unique_indexes = [definition for _, unique, definition in indexes if unique]
    plain_indexes = [definition for _, unique, definition in indexes if not unique]
    return add["u"] + unique_indexes + plain_indexes + add["f"]


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
