"""Read a policy file's text into ``PolicyRules``, naming every problem found.

The file format is documented in ``docs/policy-schema.md``. Problems carry the
field path (positions in lists count from 1) so an administrator can find them.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from escalate.domain.policy import (
    DEFAULT_APPOINTEES,
    DEFAULT_APPOINTERS,
    DEFAULT_AUTHORITY,
    AgencyKind,
    Agreement,
    Category,
    ChecklistItem,
    Contact,
    ContactKind,
    DeadlineKind,
    DeadlineRule,
    EntryRoute,
    FinalStageKind,
    FinalStageRule,
    ImmediateRiskRule,
    LadderRole,
    MeetingChair,
    Nation,
    PanelRule,
    PartnershipRole,
    PolicyRules,
    Sides,
    StageAction,
    StageAuthority,
    StageRule,
    SubjectKind,
)
from escalate.domain.working_hours import (
    DEFAULT_WORKING_HOURS,
    BadWorkingHours,
    WorkingHours,
    parse_working_hours,
)

SCHEMA_VERSION = 1
DEFAULT_JOB_TITLES_KEY = "default"
_LONG_DEADLINE_DAYS = 60

E = TypeVar("E", bound=StrEnum)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    severity: Severity
    path: str
    message: str

    def line(self, origin: str) -> str:
        where = f"{origin}:{self.path}" if self.path else origin
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class LoadResult:
    rules: PolicyRules | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)


class _Invalid(Exception):
    """Raised inside the reader once a problem has been recorded for a field."""


class _Reader:
    """Typed access to a parsed TOML table that records problems by field path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity is Severity.ERROR]

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(Severity.ERROR, path, message))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem(Severity.WARNING, path, message))

    def table(
        self, data: dict[str, Any], key: str, path: str, *, required: bool = True
    ) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            if required:
                self.error(_join(path, key), "is missing")
                raise _Invalid
            return {}
        if not isinstance(value, dict):
            self.error(_join(path, key), "must be a table")
            raise _Invalid
        return value

    def tables(
        self, data: dict[str, Any], key: str, path: str, *, required: bool = True
    ) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None:
            if required:
                self.error(_join(path, key), "is missing")
                raise _Invalid
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.error(_join(path, key), "must be a list of tables")
            raise _Invalid
        return value

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(
                _join(path, key), "must be a non-empty text" if value is not None else "is missing"
            )
            raise _Invalid
        return value.strip()

    def integer(self, data: dict[str, Any], key: str, path: str, *, minimum: int = 1) -> int:
        value = data.get(key)
        if value is None:
            self.error(_join(path, key), "is missing")
            raise _Invalid
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.error(
                _join(path, key), f"must be a whole number of at least {minimum}, not {value!r}"
            )
            raise _Invalid
        return int(value)

    def flag(self, data: dict[str, Any], key: str, path: str, *, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(_join(path, key), f"must be true or false, not {value!r}")
            raise _Invalid
        return value

    def choice(self, enum: type[E], value: object, path: str) -> E:
        try:
            if not isinstance(value, str):
                raise ValueError
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.error(path, f"unknown value {value!r}; expected one of: {allowed}")
            raise _Invalid from None

    def choices(
        self, enum: type[E], data: dict[str, Any], key: str, path: str, *, required: bool = False
    ) -> tuple[E, ...]:
        value = data.get(key, [] if not required else None)
        if value is None:
            self.error(_join(path, key), "is missing")
            raise _Invalid
        if not isinstance(value, list):
            self.error(_join(path, key), "must be a list")
            raise _Invalid
        found = _collect(
            value, lambda item, index: self.choice(enum, item, f"{_join(path, key)}[{index}]")
        )
        if required and not value:
            self.error(_join(path, key), "must name at least one value")
            raise _Invalid
        return tuple(found)

    def unknown_keys(self, data: dict[str, Any], known: Iterable[str], path: str) -> None:
        for key in sorted(set(data) - set(known)):
            self.warn(_join(path, key), "is not a field this schema knows; it is ignored (a typo?)")


T = TypeVar("T")
U = TypeVar("U")


def _collect(items: Iterable[U], read: Callable[[U, int], T]) -> list[T]:
    """Read every item (positions from 1), going on after a bad one so all problems show."""
    values: list[T] = []
    failed = False
    for index, item in enumerate(items, start=1):
        try:
            values.append(read(item, index))
        except _Invalid:
            failed = True
    if failed:
        raise _Invalid
    return values


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def load_policy_text(text: str) -> LoadResult:
    """Parse and check a policy file's text; ``rules`` is None when any error was found."""
    reader = _Reader()
    if not text.strip():
        reader.error("", "the file is empty")
        return LoadResult(None, tuple(reader.problems))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        reader.error("", f"not valid TOML: {error}")
        return LoadResult(None, tuple(reader.problems))
    try:
        rules = _read_policy(reader, data)
    except _Invalid:
        rules = None
    if any(problem.severity is Severity.ERROR for problem in reader.problems):
        rules = None
    return LoadResult(rules, tuple(reader.problems))


_TOP_LEVEL_KEYS = (
    "schema", "short_name", "version", "partnership", "title", "source", "covers",
    "agency_kinds", "notes", "calendar", "target", "immediate_risk", "categories",
    "contacts", "entry_routes", "stages", "notifications",
)  # fmt: skip


def _read_policy(reader: _Reader, data: dict[str, Any]) -> PolicyRules:
    reader.unknown_keys(data, _TOP_LEVEL_KEYS, "")
    if data.get("schema") != SCHEMA_VERSION:
        reader.error("schema", f"must be {SCHEMA_VERSION}, the schema version this product reads")
    parts: dict[str, Any] = {}
    steps: dict[str, Callable[[], Any]] = {
        "short_name": lambda: _read_short_name(reader, data),
        "version": lambda: reader.integer(data, "version", ""),
        "partnership": lambda: reader.text(data, "partnership", ""),
        "title": lambda: reader.text(data, "title", ""),
        "source": lambda: reader.text(data, "source", ""),
        "covers": lambda: frozenset(reader.choices(SubjectKind, data, "covers", "", required=True)),
        "agency_kinds": lambda: reader.choices(AgencyKind, data, "agency_kinds", "", required=True),
        "notes": lambda: _read_notes(reader, data),
        "calendar": lambda: _read_calendar(reader, data),
        "target": lambda: _read_deadline(
            reader, reader.table(data, "target", "", required=False), "target"
        ),
        "categories": lambda: _read_categories(reader, data),
        "contacts": lambda: _read_contacts(reader, data),
        "working_hours": lambda: _read_notifications(reader, data),
    }
    failed = False
    for name, step in steps.items():
        try:
            parts[name] = step()
        except _Invalid:
            failed = True
    agency_kinds: tuple[AgencyKind, ...] = parts.get("agency_kinds", ())
    stages = _read_stages(reader, data, agency_kinds)
    numbers = {stage.number for stage in stages}
    later_steps: dict[str, Callable[[], Any]] = {
        "immediate_risk": lambda: _read_immediate_risk(reader, data, numbers),
        "entry_routes": lambda: _read_entry_routes(reader, data, numbers),
    }
    for name, step in later_steps.items():
        try:
            parts[name] = step()
        except _Invalid:
            failed = True
    if failed or not stages:
        raise _Invalid
    nation, closure_days = parts.pop("calendar")
    rules = PolicyRules(nation=nation, closure_days=closure_days, stages=stages, **parts)
    _check_target(reader, rules)
    _warn_about_contacts(reader, rules)
    return rules


def _read_short_name(reader: _Reader, data: dict[str, Any]) -> str:
    name = reader.text(data, "short_name", "")
    if not all(ch.islower() or ch.isdigit() or ch == "-" for ch in name) or not name[0].isalpha():
        reader.error(
            "short_name",
            f"{name!r} must be lowercase letters, digits and hyphens, starting with a letter",
        )
        raise _Invalid
    return name


def _read_notes(reader: _Reader, data: dict[str, Any]) -> tuple[str, ...]:
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        reader.error("notes", "must be a list of texts")
        raise _Invalid
    return tuple(notes)


def _read_calendar(reader: _Reader, data: dict[str, Any]) -> tuple[Nation, tuple[date, ...]]:
    calendar = reader.table(data, "calendar", "")
    reader.unknown_keys(calendar, ("nation", "closure_days"), "calendar")
    if "nation" not in calendar:
        reader.error("calendar.nation", "is missing")
        raise _Invalid
    nation = calendar["nation"]
    if nation not in {member.value for member in Nation}:
        allowed = ", ".join(member.value for member in Nation)
        reader.error("calendar.nation", f"unknown calendar {nation!r}; expected one of: {allowed}")
        raise _Invalid
    closure_days = calendar.get("closure_days", [])
    if not isinstance(closure_days, list):
        reader.error("calendar.closure_days", "must be a list of dates (YYYY-MM-DD)")
        raise _Invalid
    days: list[date] = []
    for index, day in enumerate(closure_days, start=1):
        path = f"calendar.closure_days[{index}]"
        if not isinstance(day, date) or hasattr(day, "hour"):
            reader.error(path, f"must be a date written YYYY-MM-DD, not {day!r}")
            continue
        if day.weekday() >= 5:
            reader.warn(
                path, f"{day.isoformat()} is a weekend day, which is never a working day anyway"
            )
        days.append(day)
    if len(days) != len(closure_days):
        raise _Invalid
    return Nation(nation), tuple(sorted(days))


def _read_notifications(reader: _Reader, data: dict[str, Any]) -> WorkingHours:
    """``[notifications]``: when reminders may go out; 08:00 to 18:00 when left out."""
    table = reader.table(data, "notifications", "", required=False)
    reader.unknown_keys(table, ("working_hours",), "notifications")
    if "working_hours" not in table:
        return DEFAULT_WORKING_HOURS
    value = table["working_hours"]
    path = "notifications.working_hours"
    if not isinstance(value, str):
        reader.error(path, f'must be a text such as "08:00-18:00", not {value!r}')
        raise _Invalid
    try:
        return parse_working_hours(value)
    except BadWorkingHours as problem:
        reader.error(path, str(problem))
        raise _Invalid from None


def _read_deadline(reader: _Reader, data: dict[str, Any], path: str) -> DeadlineRule:
    if not data:
        return DeadlineRule(DeadlineKind.NONE)
    reader.unknown_keys(data, ("kind", "days"), path)
    kind = reader.choice(DeadlineKind, data.get("kind"), f"{path}.kind")
    if kind is DeadlineKind.NONE:
        if "days" in data:
            reader.warn(f"{path}.days", "is ignored: a deadline of kind 'none' has no days")
        return DeadlineRule(kind)
    days = reader.integer(data, "days", path)
    if days > _LONG_DEADLINE_DAYS:
        reader.warn(f"{path}.days", f"{days} working days is unusually long for one step")
    return DeadlineRule(kind, days)


def _read_categories(reader: _Reader, data: dict[str, Any]) -> tuple[Category, ...]:
    items = reader.tables(data, "categories", "")
    if not items:
        reader.error("categories", "must list at least one category of disagreement")
        raise _Invalid
    categories = _collect(
        items,
        lambda item, index: Category(
            key=reader.text(item, "key", f"categories[{index}]"),
            label=reader.text(item, "label", f"categories[{index}]"),
        ),
    )
    _check_unique(reader, [category.key for category in categories], "categories", "key")
    return tuple(categories)


def _read_contacts(reader: _Reader, data: dict[str, Any]) -> tuple[Contact, ...]:
    def read(item: dict[str, Any], path: str) -> Contact:
        reader.unknown_keys(item, ("name", "phone", "kind", "covers", "organisation"), path)
        return Contact(
            name=reader.text(item, "name", path),
            phone=reader.text(item, "phone", path),
            kind=reader.choice(ContactKind, item.get("kind"), f"{path}.kind"),
            covers=frozenset(reader.choices(SubjectKind, item, "covers", path, required=True)),
            organisation=reader.text(item, "organisation", path, required=False),
        )

    items = reader.tables(data, "contacts", "", required=False)
    return tuple(_collect(items, lambda item, index: read(item, f"contacts[{index}]")))


def _read_immediate_risk(
    reader: _Reader, data: dict[str, Any], stage_numbers: set[int]
) -> ImmediateRiskRule:
    table = reader.table(data, "immediate_risk", "")
    reader.unknown_keys(
        table, ("may_start_at", "first_action_same_day", "guidance"), "immediate_risk"
    )
    starts = table.get("may_start_at")
    if (
        not isinstance(starts, list)
        or not starts
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in starts)
    ):
        reader.error("immediate_risk.may_start_at", "must list at least one stage number")
        raise _Invalid
    for index, number in enumerate(starts, start=1):
        if stage_numbers and number not in stage_numbers:
            reader.error(f"immediate_risk.may_start_at[{index}]", f"stage {number} does not exist")
    return ImmediateRiskRule(
        may_start_at=tuple(sorted(set(starts))),
        guidance=reader.text(table, "guidance", "immediate_risk"),
        first_action_same_day=reader.flag(
            table, "first_action_same_day", "immediate_risk", default=True
        ),
    )


def _read_entry_routes(
    reader: _Reader, data: dict[str, Any], stage_numbers: set[int]
) -> tuple[EntryRoute, ...]:
    def read(item: dict[str, Any], path: str) -> EntryRoute:
        reader.unknown_keys(item, ("key", "name", "enters_at", "description"), path)
        route = EntryRoute(
            key=reader.text(item, "key", path),
            name=reader.text(item, "name", path),
            enters_at=reader.integer(item, "enters_at", path),
            description=reader.text(item, "description", path),
        )
        if stage_numbers and route.enters_at not in stage_numbers:
            reader.error(
                f"{path}.enters_at", f"enters at stage {route.enters_at}, which does not exist"
            )
        return route

    items = reader.tables(data, "entry_routes", "", required=False)
    routes = _collect(items, lambda item, index: read(item, f"entry_routes[{index}]"))
    _check_unique(reader, [route.key for route in routes], "entry_routes", "key")
    return tuple(routes)


_STAGE_KEYS = (
    "number", "key", "name", "summary", "acts", "job_titles", "deadline",
    "on_entry", "on_outcome", "checklist", "authority", "final",
)  # fmt: skip


def _read_stages(
    reader: _Reader, data: dict[str, Any], agency_kinds: tuple[AgencyKind, ...]
) -> tuple[StageRule, ...]:
    try:
        items = reader.tables(data, "stages", "")
    except _Invalid:
        return ()
    if not items:
        reader.error("stages", "must list at least one stage")
        return ()
    stages: list[StageRule] = []
    for index, item in enumerate(items, start=1):
        is_last = index == len(items)
        with contextlib.suppress(_Invalid):  # recorded; keep reading the other stages
            stages.append(
                _read_stage(reader, item, f"stages[{index}]", agency_kinds, is_last=is_last)
            )
    if len(stages) != len(items):
        return ()
    _check_stage_order(reader, stages)
    _check_unique(reader, [stage.key for stage in stages], "stages", "key")
    return tuple(stages)


def _read_stage(
    reader: _Reader,
    item: dict[str, Any],
    path: str,
    agency_kinds: tuple[AgencyKind, ...],
    *,
    is_last: bool,
) -> StageRule:
    reader.unknown_keys(item, _STAGE_KEYS, path)
    final_table = reader.table(item, "final", path, required=False)
    if final_table and not is_last:
        reader.error(f"{path}.final", "only the last stage can say how the final decision is made")
        raise _Invalid
    if is_last and not final_table:
        reader.error(f"{path}.final", "the last stage must say how the final decision is made")
        raise _Invalid
    acts = item.get("acts")
    ladder_role = reader.choice(LadderRole, acts, f"{path}.acts") if acts is not None else None
    if ladder_role is None and not is_last:
        reader.error(
            f"{path}.acts", "is missing: say which rung of each agency's ladder acts at this stage"
        )
        raise _Invalid
    authority: StageAuthority | None = None
    with contextlib.suppress(_Invalid):  # recorded; still read the rest of the stage
        authority = _read_authority(reader, item, path, is_last=is_last)
    stage = StageRule(
        number=reader.integer(item, "number", path),
        key=reader.text(item, "key", path),
        name=reader.text(item, "name", path),
        summary=reader.text(item, "summary", path),
        ladder_role=ladder_role,
        job_titles=_read_job_titles(
            reader, item, path, agency_kinds, needed=ladder_role is not None
        ),
        deadline=_read_deadline(
            reader, reader.table(item, "deadline", path, required=False), f"{path}.deadline"
        ),
        on_entry=reader.choices(StageAction, item, "on_entry", path),
        on_outcome=reader.choices(StageAction, item, "on_outcome", path),
        checklist=reader.choices(ChecklistItem, item, "checklist", path),
        final=_read_final(reader, final_table, f"{path}.final") if final_table else None,
        authority=authority or DEFAULT_AUTHORITY,
    )
    if authority is None:
        raise _Invalid
    return stage


_AUTHORITY_FIELDS: dict[str, type[StrEnum]] = {
    "involves": Sides,
    "escalate": Sides,
    "resolve": Sides,
    "withdraw": Sides,
    "agreement": Agreement,
}
_FINAL_STAGE_AUTHORITY_FIELDS = ("withdraw",)
_ONE_SIDE = {Sides.RAISING, Sides.CHALLENGED}


def _read_authority(
    reader: _Reader, item: dict[str, Any], path: str, *, is_last: bool
) -> StageAuthority:
    """The stage's ``[stages.authority]`` table (docs/domain.md decisions 7 to 9 and 13).

    Stricter than other tables: an unknown field is an error, because a misspelt one would
    leave a default in place and could give people a move the procedure does not.
    """
    table = reader.table(item, "authority", path, required=False)
    if not table:
        return DEFAULT_AUTHORITY
    path = f"{path}.authority"
    known = _FINAL_STAGE_AUTHORITY_FIELDS if is_last else tuple(_AUTHORITY_FIELDS)
    unknown = sorted(set(table) - set(known))
    for key in unknown:
        if is_last and key in _AUTHORITY_FIELDS:
            reader.error(
                _join(path, key),
                "is not allowed on the final stage: the partnership acts there, as "
                "[stages.final] says; only 'withdraw' may be given here",
            )
        else:
            reader.error(
                _join(path, key), f"is not an authority field; expected one of: {', '.join(known)}"
            )
    given = {key: table[key] for key in known if key in table}
    _collect(  # records every bad value, then raises
        given,
        lambda key, _: reader.choice(_AUTHORITY_FIELDS[key], given[key], _join(path, key)),
    )
    involves = Sides(given.get("involves", Sides.BOTH))
    authority = StageAuthority(
        involves=involves,
        # Who escalates or resolves defaults to whoever the stage involves.
        escalate=Sides(given.get("escalate", involves)),
        resolve=Sides(given.get("resolve", involves)),
        withdraw=Sides(given.get("withdraw", Sides.RAISING)),
        agreement=Agreement(given.get("agreement", Agreement.EVERY_PARTY)),
    )
    if not _check_authority(reader, authority, path) or unknown:
        raise _Invalid
    return authority


def _check_authority(reader: _Reader, authority: StageAuthority, path: str) -> bool:
    """Record every inconsistency between the authority fields; True when there is none."""
    errors_before = len(reader.errors)
    involves = authority.involves
    if authority.withdraw is not Sides.RAISING:
        reader.error(
            f"{path}.withdraw", "only the raising side may withdraw (docs/domain.md decision 9)"
        )
    for key, sides in (("escalate", authority.escalate), ("resolve", authority.resolve)):
        if sides is not involves and involves is not Sides.BOTH:
            reader.error(
                f"{path}.{key}",
                f"{sides.value!r} reaches beyond the side the stage involves "
                f"({involves.value!r}): only those taking part in a stage can move it",
            )
    if authority.agreement is Agreement.RECORDING_SIDE and involves not in _ONE_SIDE:
        reader.error(
            f"{path}.agreement",
            "'recording_side' needs a stage that involves one side only "
            '(involves = "raising" or "challenged"); where both sides take part, '
            "every party agency confirms the resolution (docs/domain.md decision 8)",
        )
    if involves in _ONE_SIDE and authority.agreement is not Agreement.RECORDING_SIDE:
        reader.error(
            f"{path}.agreement",
            f'must be "recording_side": the stage involves the {involves.value} side only, '
            "so no other agency takes part to confirm a resolution",
        )
    errors = len(reader.errors) > errors_before
    if involves is Sides.CHALLENGED and not errors:
        reader.warn(
            f"{path}.involves",
            "a stage for the challenged side only lets it record a resolution alone, which "
            "ends the challenge without the raising side agreeing "
            "(docs/domain.md decisions 8 and 9); say why in notes",
        )
    return not errors


def _read_job_titles(
    reader: _Reader,
    item: dict[str, Any],
    path: str,
    agency_kinds: tuple[AgencyKind, ...],
    *,
    needed: bool,
) -> tuple[tuple[AgencyKind, tuple[str, ...]], ...]:
    table = reader.table(item, "job_titles", path, required=needed)
    titles: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        field_path = f"{path}.job_titles.{key}"
        if key != DEFAULT_JOB_TITLES_KEY and key not in {kind.value for kind in AgencyKind}:
            reader.error(field_path, f"unknown agency kind {key!r}")
            continue
        if key != DEFAULT_JOB_TITLES_KEY and AgencyKind(key) not in agency_kinds:
            reader.warn(field_path, f"agency kind {key!r} is not in this policy's agency_kinds")
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(t, str) and t.strip() for t in value)
        ):
            reader.error(field_path, "must list at least one job title")
            continue
        titles[key] = tuple(value)
    default = titles.pop(DEFAULT_JOB_TITLES_KEY, None)
    missing = [kind for kind in agency_kinds if kind.value not in titles and default is None]
    for kind in missing if needed else []:
        reader.error(
            f"{path}.job_titles",
            f"no role given for agency kind {kind.value!r} (add it, or a 'default')",
        )
    if missing and needed:
        raise _Invalid
    resolved = {kind: titles.get(kind.value) or default or () for kind in agency_kinds}
    return tuple((kind, names) for kind, names in resolved.items() if names)


def _read_final(reader: _Reader, table: dict[str, Any], path: str) -> FinalStageRule:
    reader.unknown_keys(
        table,
        (
            "decided_by",
            "panel",
            "reports_to",
            "recommendation_working_days",
            "written_representations",
            "appointed_by",
            "appointees_from",
            "meeting_chair",
        ),
        path,
    )
    decided_by = reader.choices(FinalStageKind, table, "decided_by", path, required=True)
    panel_table = reader.table(table, "panel", path, required=False)
    panel = None
    if panel_table:
        reader.unknown_keys(
            panel_table, ("min_agencies", "include_disputing_agencies"), f"{path}.panel"
        )
        panel = PanelRule(
            min_agencies=reader.integer(panel_table, "min_agencies", f"{path}.panel"),
            include_disputing_agencies=reader.flag(
                panel_table, "include_disputing_agencies", f"{path}.panel", default=True
            ),
        )
    if FinalStageKind.RESOLUTION_PANEL in decided_by and panel is None:
        reader.warn(
            f"{path}.panel", "a resolution panel is allowed but its composition is not given"
        )
    if panel is not None and FinalStageKind.RESOLUTION_PANEL not in decided_by:
        reader.warn(
            f"{path}.panel", "a panel is described but 'resolution_panel' is not in decided_by"
        )
    recommendation = (
        reader.integer(table, "recommendation_working_days", path)
        if "recommendation_working_days" in table
        else None
    )
    reads: dict[str, Callable[[], Any]] = {
        "meeting_chair": lambda: _read_meeting_chair(reader, table, path, decided_by),
        "appointed_by": lambda: _read_roles(
            reader, table, "appointed_by", path, DEFAULT_APPOINTERS, verb="appoint"
        ),
        "appointees_from": lambda: _read_roles(
            reader, table, "appointees_from", path, DEFAULT_APPOINTEES, verb="be appointed"
        ),
    }
    parts: dict[str, Any] = {}
    for name, read in reads.items():
        with contextlib.suppress(_Invalid):  # recorded; read the other fields too
            parts[name] = read()
    if len(parts) != len(reads):
        raise _Invalid
    final = FinalStageRule(
        decided_by=decided_by,
        panel=panel,
        reports_to=reader.text(table, "reports_to", path, required=False),
        recommendation_working_days=recommendation,
        written_representations=reader.flag(table, "written_representations", path, default=True),
        **parts,
    )
    if "appointees_from" in table and not (final.has_panel or final.needs_appointed_chair):
        reader.warn(
            f"{path}.appointees_from",
            "has no effect: this final stage has no resolution panel and no meeting chair, "
            "so nobody is appointed",
        )
    return final


def _chair_needed(decided_by: tuple[FinalStageKind, ...]) -> MeetingChair:
    """The chair a final stage's meetings need; also the default for ``meeting_chair``.

    Defaulting from ``decided_by`` keeps files written before the field existed reading as
    their procedure meant. Where both kinds of meeting are allowed, the stricter chair wins:
    a board member from an uninvolved agency is also independent of the parties.
    """
    if FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING in decided_by:
        return MeetingChair.UNINVOLVED_AGENCY
    if FinalStageKind.INDEPENDENTLY_CHAIRED_MEETING in decided_by:
        return MeetingChair.INDEPENDENT
    return MeetingChair.NONE


_MEETING_FOR_CHAIR = {
    MeetingChair.INDEPENDENT: FinalStageKind.INDEPENDENTLY_CHAIRED_MEETING,
    MeetingChair.UNINVOLVED_AGENCY: FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING,
}


def _read_meeting_chair(
    reader: _Reader, table: dict[str, Any], path: str, decided_by: tuple[FinalStageKind, ...]
) -> MeetingChair:
    needed = _chair_needed(decided_by)
    if "meeting_chair" not in table:
        return needed
    field_path = f"{path}.meeting_chair"
    chair = reader.choice(MeetingChair, table["meeting_chair"], field_path)
    if needed is MeetingChair.NONE and chair is not MeetingChair.NONE:
        reader.error(
            field_path,
            f"{chair.value!r} needs a meeting to chair, but decided_by has neither "
            "'independently_chaired_meeting' nor 'uninvolved_board_member_meeting': "
            'add one, or use meeting_chair = "none"',
        )
        raise _Invalid
    if needed is not MeetingChair.NONE and chair is MeetingChair.NONE:
        reader.error(
            field_path,
            f"{_MEETING_FOR_CHAIR[needed].value!r} in decided_by needs an appointed chair: "
            f'use meeting_chair = "{needed.value}"',
        )
        raise _Invalid
    if needed is MeetingChair.UNINVOLVED_AGENCY and chair is not needed:
        reader.error(
            field_path,
            "'uninvolved_board_member_meeting' is chaired by a board member from an agency "
            'that is not a party: use meeting_chair = "uninvolved_agency"',
        )
        raise _Invalid
    return chair


_OFF_CASE_ROLES = {
    PartnershipRole.ADMINISTRATOR: "keeps the directory of agencies and people",
    PartnershipRole.DATA_PROTECTION_OFFICER: "oversees how the records are kept",
    PartnershipRole.INDEPENDENT_SCRUTINEER: "scrutinises the partnership's work from outside",
}
"""Partnership roles that neither make final-stage appointments nor are appointed."""


def _read_roles(
    reader: _Reader,
    table: dict[str, Any],
    key: str,
    path: str,
    default: tuple[PartnershipRole, ...],
    *,
    verb: str,
) -> tuple[PartnershipRole, ...]:
    """``appointed_by`` or ``appointees_from``: who appoints, and whom they may appoint."""
    if key not in table:
        return default
    field_path = f"{path}.{key}"
    roles = reader.choices(PartnershipRole, table, key, path)
    if not roles:
        reader.error(field_path, f"must name at least one partnership role, or nobody can {verb}")
        raise _Invalid
    failed = False
    for index, role in enumerate(roles, start=1):
        if role in _OFF_CASE_ROLES:
            failed = True
            reader.error(
                f"{field_path}[{index}]",
                f"{role.value!r} cannot {verb}: this role {_OFF_CASE_ROLES[role]} and takes "
                "no part in deciding escalations (docs/domain.md decision 10)",
            )
    if failed:
        raise _Invalid
    return tuple(dict.fromkeys(roles))


def _check_stage_order(reader: _Reader, stages: list[StageRule]) -> None:
    numbers = [stage.number for stage in stages]
    if numbers != list(range(1, len(stages) + 1)):
        found = ", ".join(str(number) for number in numbers)
        reader.error("stages", f"stage numbers must run 1..{len(stages)} in order; found {found}")
    previous_by_day: StageRule | None = None
    previous_rung: StageRule | None = None
    for index, stage in enumerate(stages, start=1):
        deadline = stage.deadline
        if deadline.kind is DeadlineKind.BY_WORKING_DAY and deadline.days is not None:
            if previous_by_day is not None and deadline.days <= (
                previous_by_day.deadline.days or 0
            ):
                reader.error(
                    f"stages[{index}].deadline.days",
                    f"working day {deadline.days} is not after stage {previous_by_day.number}'s "
                    f"working day {previous_by_day.deadline.days}: deadlines must increase",
                )
            previous_by_day = stage
        if stage.ladder_role is not None:
            if (
                previous_rung is not None
                and previous_rung.ladder_role is not None
                and (_rung(stage.ladder_role) < _rung(previous_rung.ladder_role))
            ):
                reader.warn(
                    f"stages[{index}].acts",
                    f"{stage.ladder_role.value!r} is lower on the ladder than stage "
                    f"{previous_rung.number}'s {previous_rung.ladder_role.value!r}",
                )
            previous_rung = stage


def _rung(role: LadderRole) -> int:
    return list(LadderRole).index(role)


def _check_target(reader: _Reader, rules: PolicyRules) -> None:
    target = rules.target
    if target.kind is DeadlineKind.WITHIN_WORKING_DAYS:
        reader.error(
            "target.kind", "the overall target is counted from the raise date: use 'by_working_day'"
        )
        return
    if target.kind is not DeadlineKind.BY_WORKING_DAY or target.days is None:
        return
    for index, stage in enumerate(rules.stages, start=1):
        days = stage.deadline.days
        if (
            stage.deadline.kind is DeadlineKind.BY_WORKING_DAY
            and days is not None
            and days > target.days
        ):
            reader.error(
                f"stages[{index}].deadline.days",
                f"working day {days} is after the overall target, working day {target.days}",
            )


def _warn_about_contacts(reader: _Reader, rules: PolicyRules) -> None:
    urgent = {ContactKind.EMERGENCY, ContactKind.FRONT_DOOR}
    for subject in sorted(rules.covers):
        if not any(contact.kind in urgent for contact in rules.contacts_for(subject)):
            reader.warn(
                "contacts",
                f"no emergency or front-door contact for {_A_SUBJECT[subject]}: "
                "people at immediate risk will be shown nothing to call",
            )


_A_SUBJECT = {SubjectKind.CHILD: "a child", SubjectKind.ADULT: "an adult"}


def _check_unique(reader: _Reader, keys: list[str], path: str, field_name: str) -> None:
    seen: set[str] = set()
    for index, key in enumerate(keys, start=1):
        if key in seen:
            reader.error(f"{path}[{index}].{field_name}", f"{key!r} is used twice")
        seen.add(key)
