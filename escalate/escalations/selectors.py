"""Reading escalations and the directory for the pages; every escalation query starts
from ``escalations_visible_to``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Any, Generic, TypeVar
from uuid import UUID

from django.db.models import (
    DateField,
    Exists,
    F,
    Func,
    Max,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)

from escalate.audit.models import AuditEvent, ReadEvent
from escalate.domain.calendar import WorkingCalendar
from escalate.domain.policy import LadderRole, PartnershipRole, PolicyRules, StageRule
from escalate.escalations.access import Held, escalations_visible_to, involvement_only_holds
from escalate.escalations.authority import CaseRows, practice_issue_stages_of
from escalate.escalations.clock import calendar_for
from escalate.escalations.models import (
    AgreedAction,
    Appointment,
    ChecklistTick,
    Contact,
    Correction,
    Escalation,
    FinalDecision,
    Involvement,
    Party,
    Representation,
    ResolutionConfirmation,
    ResolutionProposal,
    StageEntry,
    corrections_of,
)
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership
from escalate.policies.selectors import current_policies
from escalate.policies.versions import attach_policies, policy_versions

# --- Lists -------------------------------------------------------------------------------
#
# Every list pages by a key an index keeps in order (``Escalation.Meta.indexes``): open
# escalations by their stage's due date (none due last), then id; ended ones and "all" by
# the day they were raised, newest first, then id. A page reads the rows it shows, never
# the rows before it: the cursor carries the last (or first) row's keys.

PAGE_SIZE = 25
"""Rows per page of every list, as the API pages: a page renders in about the time of a page
with no rows at all, and what is due soonest is on the first."""


def due_key() -> Func:
    """The stage's due date, 31 Dec 9999 where it has none ('as soon as possible'), so the
    open lists' sort has a first key that is never null and "none due" comes last.

    The sentinel is literal SQL, not a parameter, so that PostgreSQL and SQLite both match
    it to the index on the same expression in ``Escalation.Meta.indexes``.
    """
    return Func(
        F("stage_due_on"),
        template="COALESCE(%(expressions)s, '9999-12-31')",
        output_field=DateField(),
    )


class ListStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    """Resolved (check-backs may be due), withdrawn or closed: no longer open."""
    ALL = "all"


@dataclass(frozen=True)
class ListFilters:
    """The filters every list offers; the register adds its own (``RegisterFilters``)."""

    status: ListStatus = ListStatus.OPEN
    stage_number: int | None = None
    agency_id: int | None = None
    """Any agency in the disagreement, on either side."""
    category: str = ""
    overdue_only: bool = False


def filtered_list(
    escalations: QuerySet[Escalation], filters: ListFilters, *, today: date
) -> QuerySet[Escalation]:
    """``escalations`` narrowed by ``filters``; each test is one an index or a row can answer."""
    escalations = escalations.annotate(due_key=due_key())
    if filters.status is ListStatus.OPEN or filters.overdue_only:
        escalations = escalations.filter(status=Escalation.Status.OPEN)
    elif filters.status is ListStatus.CLOSED:
        escalations = escalations.exclude(status=Escalation.Status.OPEN)
    if filters.overdue_only:  # on the sort's key, so the index's range ends the scan
        escalations = escalations.filter(due_key__lt=today)
    if filters.stage_number is not None:
        escalations = escalations.filter(stage_number=filters.stage_number)
    if filters.agency_id is not None:
        escalations = escalations.filter(
            Exists(Party.objects.filter(escalation=OuterRef("pk"), agency_id=filters.agency_id))
        )
    if filters.category:
        escalations = escalations.filter(category=filters.category)
    return escalations


@dataclass(frozen=True)
class ListOrder:
    name: str
    key: str
    """The first sort key: a field, or the ``due_key`` annotation ``filtered_list`` adds."""
    descending: bool


DUE_FIRST = ListOrder("due", "due_key", descending=False)
NEWEST_FIRST = ListOrder("raised", "raised_on", descending=True)


def list_order(status: ListStatus) -> ListOrder:
    return DUE_FIRST if status is ListStatus.OPEN else NEWEST_FIRST


class InvalidCursor(ValueError):
    """A page link that was not made by ``keyset_page`` for this sort."""


@dataclass(frozen=True)
class Position:
    """A row's keys: the page starts after it, or ends before it (``before``). The first key
    is a day or a moment (``datetime`` is a ``date``); the id a UUID or a whole number."""

    order: str
    key: date
    pk: UUID | int
    before: bool = False

    def encode(self) -> str:
        pk = self.pk.hex if isinstance(self.pk, UUID) else self.pk
        text = json.dumps(
            [self.order, self.key.isoformat(), pk, int(self.before)], separators=(",", ":")
        )
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, order: ListOrder) -> Position:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            name, key, pk, before = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if name != order.name or before not in (0, 1):
                raise ValueError(name)
            return cls(name, _key_from(key), _pk_from(pk), before=bool(before))
        except (ValueError, TypeError, binascii.Error, UnicodeError, AttributeError):
            raise InvalidCursor(cursor) from None


def _key_from(text: str) -> date:
    if "T" not in text:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment


def _pk_from(value: object) -> UUID | int:
    if isinstance(value, str):
        return UUID(hex=value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(value)


T = TypeVar("T")
U = TypeVar("U")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and the cursors of its neighbours ("" where there is none)."""

    items: list[T]
    next_cursor: str = ""
    previous_cursor: str = ""

    def with_items(self, items: list[U]) -> Page[U]:
        return Page(items, self.next_cursor, self.previous_cursor)


def keyset_page(
    escalations: QuerySet[M], order: ListOrder, cursor: str = "", *, size: int
) -> Page[M]:
    """The page of ``escalations`` (from ``filtered_list``; or any rows with the order's
    key, such as the practice issues log) after or before ``cursor``.

    Reads ``size + 1`` rows in index order, the extra one only to know whether another page
    follows; raises ``InvalidCursor`` for a cursor it did not make. ``escalations`` may be
    a ``values()`` query naming the key and ``pk``: its rows then come as plain namespaces,
    with no model built per row (the export's hundreds of thousands).
    """
    position = Position.decode(cursor, order) if cursor else None
    forwards = position is None or not position.before
    descending = order.descending == forwards  # reading backwards flips the sort
    if position is not None:
        escalations = escalations.filter(_beyond(order.key, position, descending=descending))
    if descending:
        escalations = escalations.order_by(F(order.key).desc(), F("pk").desc())
    else:
        escalations = escalations.order_by(order.key, "pk")
    rows = list(escalations[: size + 1])
    if rows and isinstance(rows[0], dict):
        rows = [SimpleNamespace(**row) for row in rows]
    more, rows = len(rows) > size, rows[:size]
    if not forwards:
        rows.reverse()
    if not rows:
        return Page([])
    has_next = more if forwards else True
    has_previous = position is not None if forwards else more
    first, last = rows[0], rows[-1]
    return Page(
        rows,
        next_cursor=Position(order.name, getattr(last, order.key), last.pk).encode()
        if has_next
        else "",
        previous_cursor=Position(
            order.name, getattr(first, order.key), first.pk, before=True
        ).encode()
        if has_previous
        else "",
    )


def _beyond(key: str, position: Position, *, descending: bool, tie: str = "pk") -> Q:
    """Rows after ``position`` in the direction read: the first key bounds the index's range
    (``>=``/``<=``) and the id (``tie``) breaks ties within it."""
    if descending:
        return Q(**{f"{key}__lte": position.key}) & (
            Q(**{f"{key}__lt": position.key}) | Q(**{f"{tie}__lt": position.pk})
        )
    return Q(**{f"{key}__gte": position.key}) & (
        Q(**{f"{key}__gt": position.key}) | Q(**{f"{tie}__gt": position.pk})
    )


READS_NEWEST_FIRST = ListOrder("read", "occurred_at", descending=True)
READ_TRAIL_PAGE_SIZE = 50


def read_trail_page(
    escalation: Escalation, cursor: str = "", *, size: int = READ_TRAIL_PAGE_SIZE
) -> Page[Any]:
    """One page of who has read ``escalation``, newest first, along the read trail's index
    (``reads_of_escalation``). Each row holds the columns shown: ``occurred_at``, ``what``,
    ``detail``, ``reader_name`` and ``reader_agency``; no model is built per row. Raises
    ``InvalidCursor`` for a link it did not make."""
    reads = ReadEvent.objects.filter(escalation=escalation).values(
        "pk",
        "occurred_at",
        "what",
        "detail",
        reader_name=F("reader__name"),
        reader_agency=F("reader__agency__name"),
    )
    return keyset_page(reads, READS_NEWEST_FIRST, cursor, size=size)


# Where the viewer sees only what they are involved in, the page is found from their
# involvement rows, which carry the sort keys (``Involvement.is_open``, ``due_key``,
# ``raised_on``) in the order of an index: each index yields the page's candidates, and
# the page itself is then read from those few escalations alone. Without this the database
# walks the escalations in sort order testing each for the viewer, most of them not theirs.
_INVOLVEMENT_KEY = {DUE_FIRST.name: "due_key", NEWEST_FIRST.name: "raised_on"}


def page_candidates(
    person: Person,
    filters: ListFilters,
    order: ListOrder,
    cursor: str,
    *,
    size: int,
    today: date,
) -> list[UUID] | None:
    """Ids among which the page after (or before) ``cursor`` lies, at most a few pages'
    worth, for a viewer who sees only their involvements; None for anyone else (the
    partnership indexes serve them). Raises ``InvalidCursor`` as ``keyset_page`` does."""
    holds = involvement_only_holds(person)
    if holds is None:
        return None
    position = Position.decode(cursor, order) if cursor else None
    descending = order.descending == (position is None or not position.before)
    key = _INVOLVEMENT_KEY[order.name]

    def narrow(rows: QuerySet[Involvement]) -> QuerySet[Involvement]:
        rows = _involvement_rows(rows, filters, today=today)
        if position is None:
            return rows
        return rows.filter(_beyond(key, position, descending=descending, tie="escalation_id"))

    return involved_ids(holds, narrow, key=key, descending=descending, first=size + 1)


def involved_ids(
    holds: list[Held],
    narrow: Callable[[QuerySet[Involvement]], QuerySet[Involvement]],
    *,
    key: str,
    descending: bool,
    first: int,
) -> list[UUID]:
    """The escalations of the ``first`` rows of each of ``holds`` after ``narrow``, in the
    order of ``key`` then id, each read along its own index: a superset of the first
    ``first`` escalations of them all, however the holds overlap."""
    sort = [F(key), F("escalation_id")]
    found: set[UUID] = set()
    for held in holds:
        rows = narrow(Involvement.objects.filter(held.rows))
        ordered = rows.order_by(*(f.desc() if descending else f.asc() for f in sort))
        found.update(ordered.values_list("escalation_id", flat=True)[: first * held.rows_per_case])
    return list(found)


def _involvement_rows(
    rows: QuerySet[Involvement], filters: ListFilters, *, today: date
) -> QuerySet[Involvement]:
    """``filtered_list``'s tests, on involvement rows: status and overdue from the copied
    keys, the rest from the escalation (probed row by row along the index)."""
    if filters.status is ListStatus.OPEN or filters.overdue_only:
        rows = rows.filter(is_open=True)
    elif filters.status is ListStatus.CLOSED:
        rows = rows.filter(is_open=False)
    if filters.overdue_only:
        rows = rows.filter(due_key__lt=today)
    if filters.stage_number is not None:
        rows = rows.filter(escalation__stage_number=filters.stage_number)
    if filters.agency_id is not None:
        rows = rows.filter(
            Exists(
                Party.objects.filter(
                    escalation=OuterRef("escalation_id"), agency_id=filters.agency_id
                )
            )
        )
    if filters.category:
        rows = rows.filter(escalation__category=filters.category)
    return rows


def _ended_on() -> Subquery:
    """The day the latest stage ended: when a resolved or withdrawn escalation stopped ageing."""
    return Subquery(
        StageEntry.objects.filter(escalation=OuterRef("pk"))
        .order_by()
        .values("escalation")
        .annotate(last=Max("ended_on"))
        .values("last")
    )


def party_agency_names(escalations: Iterable[Escalation]) -> dict[int, str]:
    """The names of every party agency of a page of escalations, in one query: for saying
    whose move it is on a list, and who the other agency is (the parties come from each
    row's ``case_facts``, the raising and first challenged agency from its columns)."""
    ids: set[int] = set()
    for escalation in escalations:
        ids.update(party[0] for party in escalation.case_facts["parties"])
        ids.update((escalation.raising_agency_id, escalation.other_agency_id))
    return dict(Agency.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def escalations_listed_for(
    person: Person, *, filters: ListFilters, today: date, cursor: str = "", size: int = PAGE_SIZE
) -> Page[Escalation]:
    """One page of a person's list: no narrative, only what a row needs.

    Open escalations nearest their due date first (so the overdue), none due last; ended
    ones and "all" newest first. Raises ``InvalidCursor`` for a page link it did not make.
    """
    # The agencies are named from ``party_agency_names``, not joined: joined to a page of
    # candidates, PostgreSQL expected one row and looped over the whole agency table for each.
    escalations = (
        filtered_list(escalations_visible_to(person), filters, today=today)
        .only(
            "reference",
            "partnership_id",
            "status",
            "stage_number",
            "stage_due_on",
            "raised_on",
            "raised_by_id",
            "counterpart_id",
            "immediate_risk",
            "closed_at",
            "policy_id",
            "waiting_on",
            "case_facts",
            "panel_reason",
            "raising_agency",
            "other_agency",
        )
        .annotate(ended_on=_ended_on())
    )
    order = list_order(filters.status)
    candidates = page_candidates(person, filters, order, cursor, size=size, today=today)
    if candidates is not None:
        escalations = escalations.filter(pk__in=candidates)
    return keyset_page(escalations, order, cursor, size=size)


@dataclass(frozen=True)
class ListOptions:
    """Choices for a list's filters, from the partnerships' current procedures."""

    agencies: QuerySet[Agency]
    categories: list[tuple[str, str]]
    stage_numbers: list[int]


def list_options(partnership_ids: Iterable[int]) -> ListOptions:
    ids = sorted(set(partnership_ids))
    categories: dict[str, str] = {}
    stage_numbers: set[int] = set()
    newest = current_policies().filter(partnership_id__in=ids).values_list("pk", flat=True)
    for policy in policy_versions(newest).values():
        rules = policy.rules
        for category in rules.categories:
            categories.setdefault(category.key, category.label)
        stage_numbers.update(stage.number for stage in rules.stages)
    return ListOptions(
        agencies=Agency.objects.filter(partnership_id__in=ids).order_by("name"),
        categories=sorted(categories.items(), key=lambda item: item[1]),
        stage_numbers=sorted(stage_numbers),
    )


def own_partnership_ids(person: Person) -> set[int]:
    """The partnerships a person's list may hold escalations of: their agency's, and those
    they hold a partnership role in."""
    ids = {pid for pid, _role in person.viewer().partnership_roles}
    if person.agency is not None:
        ids.add(person.agency.partnership_id)
    return ids


class RulesCache:
    """Each procedure version's rules, calendar and category labels, read once per list.

    ``load`` reads the versions a page (or a chunk of an export) needs that it has not read.
    """

    def __init__(self) -> None:
        self._rules: dict[int, PolicyRules] = {}
        self._calendars: dict[int, WorkingCalendar] = {}
        self._categories: dict[int, dict[str, str]] = {}

    def load(self, policy_ids: Iterable[int]) -> None:
        missing = set(policy_ids) - self._rules.keys()
        if missing:
            self._rules.update(policy_rules_by_id(missing))

    def rules(self, policy_id: int) -> PolicyRules:
        return self._rules[policy_id]

    def calendar(self, policy_id: int) -> WorkingCalendar:
        if policy_id not in self._calendars:
            self._calendars[policy_id] = calendar_for(self._rules[policy_id])
        return self._calendars[policy_id]

    def category(self, policy_id: int, key: str) -> str:
        if policy_id not in self._categories:
            categories = self._rules[policy_id].categories
            self._categories[policy_id] = {c.key: c.label for c in categories}
        return self._categories[policy_id].get(key, key)


def policy_rules_by_id(policy_ids: Iterable[int]) -> dict[int, PolicyRules]:
    return {pk: policy.rules for pk, policy in policy_versions(policy_ids).items()}


# --- One escalation ----------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationRecord:
    """Everything the detail page shows, read in a fixed number of queries."""

    escalation: Escalation
    stage_entries: list[StageEntry]
    contacts: list[Contact]
    agreed_actions: list[AgreedAction]
    """Every agreed action, those superseded by a reopening included."""
    checklist_ticks: list[ChecklistTick]
    history: list[AuditEvent]
    participants: list[Person]
    panel_members: list[Person]
    representations: list[Representation]
    final_decision: FinalDecision | None
    """The latest decision: a reopened final stage may have more than one."""
    acting: dict[int, list[Person]]
    """Named people on the current stage's rung, by party agency (see ``people_acting_at``)."""
    chairs: list[Person]
    """The partnership's chairs, where the partnership acts at the current stage."""
    parties: list[Party]
    appointments: list[Appointment]
    """Current appointments to the final stage (panel members and the meeting's chair)."""
    proposal: ResolutionProposal | None
    """The resolution waiting for confirmation at the current stage, if any."""
    confirmations: list[ResolutionConfirmation]
    proposed_owners: dict[int, Person]
    """The people named as owners of the proposal's agreed actions, by id."""
    practice_issue_stages: list[int] = field(default_factory=list)
    """Stages with a practice issue recorded; read only for procedures with the form."""

    @property
    def rows(self) -> CaseRows:
        """The stage machine's rows, from what this record already read."""
        escalation = self.escalation
        stage = escalation.stage_number
        return CaseRows(
            parties=self.parties,
            participant_ids=[person.pk for person in self.participants],
            proposal=self.proposal,
            confirmed_agency_ids=[c.agency_id for c in self.confirmations],
            appointments=self.appointments,
            actions=self.current_actions,
            ticks=[tick for tick in self.checklist_ticks if tick.stage_number == stage],
            practice_issue_stages=self.practice_issue_stages,
        )

    @property
    def current_actions(self) -> list[AgreedAction]:
        stage = self.escalation.stage_number
        return [
            action
            for action in self.agreed_actions
            if action.stage_number == stage and action.superseded_at is None
        ]


def escalation_record(escalation: Escalation) -> EscalationRecord:
    """The escalation (already fetched through access) with its record and history."""
    return _record_of(_with_record_relations(Escalation.objects.all()).get(pk=escalation.pk))


def visible_escalation_record(person: Person, pk: str) -> EscalationRecord | None:
    """``escalation_record`` read through ``escalations_visible_to`` in one go, so the detail
    page reads the escalation once; None where ``person`` may not see it."""
    full = _with_record_relations(escalations_visible_to(person)).filter(pk=pk).first()
    return _record_of(full) if full is not None else None


def _with_record_relations(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    # The people, the agencies and the procedure version are read apart (``_attach_people``,
    # ``attach_policies``), not joined: joined, the query had twelve tables and PostgreSQL
    # took 6 to 14 ms to plan what it read in under 1 ms.
    return escalations.select_related("partnership", "subject")


# The foreign keys to a person, and to an agency, that each row of a record carries: read
# without joins, and filled by ``_attach_people`` from two small queries for the lot.
_PEOPLE_OF: dict[type[Model], tuple[str, ...]] = {
    Escalation: ("raised_by", "counterpart"),
    AuditEvent: ("actor",),
    Party: ("practitioner",),
    ResolutionProposal: ("proposed_by",),
    Contact: ("recorded_by",),
    AgreedAction: ("owner", "understanding_confirmed_by", "checked_by"),
    ChecklistTick: ("ticked_by",),
}
_AGENCIES_OF: dict[type[Model], tuple[str, ...]] = {
    Escalation: ("raising_agency", "other_agency"),
    Party: ("agency",),
    ResolutionProposal: ("agency",),
    ChecklistTick: ("agency",),
}


def _attach_people(rows: list[Model], participant_ids: list[int]) -> list[Person]:
    """Every person and agency the rows name, set on them as though joined; returns the
    participants, in the directory's order.

    Two queries for the whole record, each planned in microseconds. Joined row by row
    instead, each table's query took about a millisecond to plan, and joined to the history
    PostgreSQL expected dozens of events per case and hashed the whole directory.
    """
    person_ids: set[int | None] = set(participant_ids)
    for row in rows:
        person_ids.update(getattr(row, f"{name}_id") for name in _PEOPLE_OF[type(row)])
    person_ids.discard(None)
    people = {person.pk: person for person in Person.objects.filter(pk__in=person_ids)}
    agency_ids: set[int | None] = {person.agency_id for person in people.values()}
    for row in rows:
        agency_ids.update(getattr(row, f"{name}_id") for name in _AGENCIES_OF.get(type(row), ()))
    agency_ids.discard(None)
    agencies = Agency.objects.in_bulk(agency_ids)
    for person in people.values():
        Person.agency.field.set_cached_value(person, agencies.get(person.agency_id or 0))
    for row in rows:
        meta = type(row)._meta
        for name in _PEOPLE_OF[type(row)]:
            found = people.get(getattr(row, f"{name}_id") or 0)
            meta.get_field(name).set_cached_value(row, found)  # type: ignore[union-attr]
        for name in _AGENCIES_OF.get(type(row), ()):
            found_agency = agencies.get(getattr(row, f"{name}_id") or 0)
            meta.get_field(name).set_cached_value(row, found_agency)  # type: ignore[union-attr]
    wanted = set(participant_ids)
    return [person for person in people.values() if person.pk in wanted]


def _attach_line_managers(parties: list[Party]) -> None:
    """The named practitioners' line managers, who act at the line managers' rung."""
    practitioners = [party.practitioner for party in parties if party.practitioner is not None]
    managers = Person.objects.select_related("agency").in_bulk(
        {person.line_manager_id for person in practitioners} - {None}
    )
    for person in practitioners:
        Person.line_manager.field.set_cached_value(
            person, managers.get(person.line_manager_id or 0)
        )


def _record_of(full: Escalation) -> EscalationRecord:
    attach_policies([full])
    history = list(AuditEvent.objects.filter(escalation=full))
    participant_ids = list(
        Escalation.participants.through.objects.filter(escalation=full).values_list(
            "person_id", flat=True
        )
    )
    stage_entries = list(full.stage_entries.all())
    # Panels, appointments, written representations and decisions belong to the final stage
    # alone: a case that never entered it has none, and is not asked for them.
    reached_final = any(entry.number == full.final_stage_number for entry in stage_entries)
    stage = full.policy.rules.stage(full.stage_number)
    is_open = full.status == Escalation.Status.OPEN
    parties = list(full.parties.all())
    proposal = (
        full.resolution_proposals.filter(
            stage_number=full.stage_number, state=ResolutionProposal.State.PROPOSED
        )
        .order_by("-pk")
        .first()
    )
    contacts = list(full.contacts.all())
    agreed_actions = list(full.agreed_actions.all())
    ticks = list(full.checklist_ticks.all())
    named: list[Model] = [full, *history, *parties, *contacts, *agreed_actions, *ticks]
    if proposal is not None:
        named.append(proposal)
    participants = _attach_people(named, participant_ids)
    if is_open and stage.ladder_role is LadderRole.LINE_MANAGER:
        _attach_line_managers(parties)
    confirmations = (
        list(proposal.confirmations.select_related("agency", "confirmed_by")) if proposal else []
    )
    owner_ids = [item["owner"] for item in proposal.actions] if proposal else []
    decision = latest_decision(full) if reached_final else None
    _prefetch_corrections(contacts, decision)
    return EscalationRecord(
        escalation=full,
        stage_entries=stage_entries,
        contacts=contacts,
        agreed_actions=agreed_actions,
        checklist_ticks=ticks,
        history=history,
        participants=participants,
        panel_members=list(full.panel_members.select_related("agency")) if reached_final else [],
        representations=list(full.representations.select_related("agency", "author"))
        if reached_final
        else [],
        final_decision=decision,
        acting=people_acting_at(full, stage, parties) if is_open else {},
        chairs=list(partnership_people(full.partnership, PartnershipRole.CHAIR))
        if is_open and stage.ladder_role is None
        else [],
        parties=parties,
        appointments=list(full.appointments.filter(ended_at=None).select_related("person__agency"))
        if reached_final
        else [],
        proposal=proposal,
        confirmations=confirmations,
        proposed_owners={
            person.pk: person
            for person in Person.objects.filter(pk__in=owner_ids).select_related("agency")
        }
        if owner_ids
        else {},
        practice_issue_stages=practice_issue_stages_of(full),
    )


@dataclass(frozen=True)
class RaisedCase:
    """The rows raising a case wrote, which are then the whole of its record."""

    escalation: Escalation
    stage_entry: StageEntry
    parties: list[Party]
    history: list[AuditEvent]


def new_escalation_record(raised: RaisedCase) -> EscalationRecord:
    """The record of a case just raised, built from the rows raising wrote rather than read
    back (eleven queries saved on the API's raise): a new case has no contacts, actions,
    ticks, proposal, participants or panel yet. Only who acts at its first stage is read,
    as ``_record_of`` reads it."""
    escalation = raised.escalation
    for event in raised.history:
        AuditEvent.actor.field.set_cached_value(event, escalation.raised_by)
    if escalation.counterpart is not None:
        Person.agency.field.set_cached_value(escalation.counterpart, escalation.other_agency)
    stage = escalation.policy.rules.stage(escalation.stage_number)
    if stage.ladder_role is LadderRole.LINE_MANAGER:  # as _record_of, not one query a party
        _attach_line_managers(raised.parties)
    return EscalationRecord(
        escalation=escalation,
        stage_entries=[raised.stage_entry],
        contacts=[],
        agreed_actions=[],
        checklist_ticks=[],
        history=list(raised.history),
        participants=[],
        panel_members=[],
        representations=[],
        final_decision=None,
        acting=people_acting_at(escalation, stage, raised.parties),
        chairs=list(partnership_people(escalation.partnership, PartnershipRole.CHAIR))
        if stage.ladder_role is None
        else [],
        parties=list(raised.parties),
        appointments=[],
        proposal=None,
        confirmations=[],
        proposed_owners={},
    )


def _prefetch_corrections(contacts: list[Contact], decision: FinalDecision | None) -> None:
    """Prefetch the corrections of the entries that have any (``models.corrections_of``
    reads them), each entry pointed at its latest; no query where nothing was corrected."""
    corrected: list[Contact | FinalDecision] = [
        entry for entry in [*contacts, decision] if entry and entry.latest_correction_id
    ]
    if corrected:
        prefetch_related_objects(
            corrected,
            Prefetch("corrections", queryset=Correction.objects.select_related("corrected_by")),
        )
    for entry in corrected:
        own = corrections_of(entry)
        type(entry).latest_correction.field.set_cached_value(entry, own[-1] if own else None)


def latest_decision(escalation: Escalation) -> FinalDecision | None:
    return (
        FinalDecision.objects.filter(escalation=escalation)
        .select_related("decided_by", "chaired_by_agency", "latest_correction")
        .order_by("-pk")
        .first()
    )


def people_acting_at(
    escalation: Escalation, stage: StageRule, parties: list[Party]
) -> dict[int, list[Person]]:
    """Named people on the stage's rung in each party agency, where the directory has them.

    At the practitioners' rung these are each party's named practitioner (the raiser, the
    counterpart, any named on an agency that joined); at the line managers' rung, their own
    line managers where recorded; above it, everyone on that rung in the agency.
    """
    if stage.ladder_role is None:
        return {}
    named_by_agency = {party.agency_id: party.practitioner for party in parties}
    if stage.ladder_role is LadderRole.PRACTITIONER:
        return {
            agency: [person] for agency, person in named_by_agency.items() if person is not None
        }
    named: dict[int, list[Person]] = defaultdict(list)
    if stage.ladder_role is LadderRole.LINE_MANAGER:
        for agency, person in named_by_agency.items():
            manager = person.line_manager if person is not None else None
            if manager is not None and manager.is_active and manager.agency_id == agency:
                named[agency].append(manager)
    unnamed = [agency for agency in named_by_agency if agency not in named]
    if unnamed:
        for person in Person.objects.filter(
            agency_id__in=unnamed, ladder_role=stage.ladder_role.value, is_active=True
        ).select_related("agency"):
            named[person.agency_id].append(person)  # type: ignore[index]
    return dict(named)


# --- The directory -----------------------------------------------------------------------


def partnership_people(partnership: Partnership, role: PartnershipRole) -> QuerySet[Person]:
    return Person.objects.filter(
        is_active=True,
        partnership_roles__partnership=partnership,
        partnership_roles__role=role.value,
    ).distinct()


def people_holding(
    partnership_id: int, roles: Iterable[PartnershipRole], *, besides: Person
) -> QuerySet[Person]:
    """Active people holding any of ``roles`` in the partnership, never ``besides`` themselves:
    the choices for appointing a panel member or a meeting's chair (decision 10)."""
    return (
        Person.objects.filter(
            is_active=True,
            partnership_roles__partnership_id=partnership_id,
            partnership_roles__role__in=[role.value for role in roles],
        )
        .exclude(pk=besides.pk)
        .select_related("agency")
        .distinct()
        .order_by("agency__name", "name")
    )


def agencies_to_disagree_with(person: Person) -> QuerySet[Agency]:
    """The other agencies of the person's partnership."""
    if person.agency is None:
        return Agency.objects.none()
    return Agency.objects.filter(partnership_id=person.agency.partnership_id).exclude(
        pk=person.agency.pk
    )


def agencies_to_add(escalation: Escalation) -> QuerySet[Agency]:
    """The partnership's agencies that are not yet in the disagreement."""
    return (
        Agency.objects.filter(partnership_id=escalation.partnership_id)
        .exclude(pk__in=Party.objects.filter(escalation=escalation).values("agency_id"))
        .order_by("name")
    )


def party_agencies(escalation: Escalation) -> QuerySet[Agency]:
    return Agency.objects.filter(
        pk__in=Party.objects.filter(escalation=escalation).values("agency_id")
    ).order_by("name")


def practitioners_elsewhere(person: Person) -> QuerySet[Person]:
    """Active people in the other agencies of the person's partnership."""
    return (
        Person.objects.filter(is_active=True, agency__in=agencies_to_disagree_with(person))
        .select_related("agency")
        .order_by("agency__name", "name")
    )


def people_in_agencies(agencies: QuerySet[Agency]) -> QuerySet[Person]:
    """Active people working in ``agencies``, grouped by agency."""
    return (
        Person.objects.filter(is_active=True, agency__in=agencies)
        .select_related("agency")
        .order_by("agency__name", "name")
    )


def directory_people(partnership: Partnership) -> QuerySet[Person]:
    """Active people who work in the partnership's agencies or for the partnership itself."""
    return (
        Person.objects.filter(
            Q(agency__partnership=partnership) | Q(partnership_roles__partnership=partnership),
            is_active=True,
        )
        .select_related("agency")
        .distinct()
        .order_by("agency__name", "name")
    )


def current_revision(escalation: Escalation) -> int:
    return Escalation.objects.values_list("revision", flat=True).get(pk=escalation.pk)


def panel_members(escalation: Escalation) -> QuerySet[Person]:
    """Everyone appointed to the final stage and still on it (the API lists them)."""
    return escalation.panel_members.select_related("agency").order_by("name")


def appointments(escalation: Escalation) -> QuerySet[Appointment]:
    """Current appointments to the final stage, panel members and the meeting's chair."""
    return (
        escalation.appointments.filter(ended_at=None)
        .select_related("person__agency")
        .order_by("role", "person__name")
    )


def appointed(escalation: Escalation, role: Appointment.Role) -> QuerySet[Person]:
    """The people currently appointed to ``role`` on the escalation's final stage."""
    return (
        Person.objects.filter(
            appointments__escalation=escalation,
            appointments__role=role,
            appointments__ended_at=None,
        )
        .select_related("agency")
        .distinct()
        .order_by("name")
    )


def proposal_with_owners(
    escalation: Escalation,
) -> tuple[ResolutionProposal | None, dict[int, Person]]:
    """The resolution waiting for confirmation at the current stage, and its actions' owners."""
    proposal = (
        escalation.resolution_proposals.filter(
            stage_number=escalation.stage_number, state=ResolutionProposal.State.PROPOSED
        )
        .select_related("agency", "proposed_by")
        .prefetch_related(
            Prefetch(
                "confirmations",
                queryset=ResolutionConfirmation.objects.select_related("agency", "confirmed_by"),
            )
        )
        .order_by("-pk")
        .first()
    )
    if proposal is None:
        return None, {}
    owner_ids = [item["owner"] for item in proposal.actions]
    owners = Person.objects.filter(pk__in=owner_ids).select_related("agency")
    return proposal, {person.pk: person for person in owners}


def agency_names(escalation: Escalation) -> dict[int, str]:
    """The party agencies' names, by id."""
    return dict(
        Party.objects.filter(escalation=escalation).values_list("agency_id", "agency__name")
    )


def not_done_actions(escalation: Escalation) -> QuerySet[AgreedAction]:
    """The current agreed actions checked back as not done."""
    return escalation.agreed_actions.filter(
        stage_number=escalation.stage_number,
        superseded_at=None,
        implementation=AgreedAction.Implementation.NOT_IMPLEMENTED,
    ).select_related("owner__agency")
