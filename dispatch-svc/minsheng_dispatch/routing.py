"""Choosing the unit for an appeal from the routing table (分拨, Art. 6, 12, 21, 25,
26, 43).

A pure function over the rules in force: the same rules and the same appeal always
give the same unit, and the answer says which rule decided and why, so the choice can
be audited and explained to the unit that receives the order.

The order of precedence, most specific first:

1. a registered construction, rail or road project the appeal is about (Art. 43): its
   name in the text, or its road or community as the appeal's place while the works
   run → the unit in charge of the project;
2. a first-handler rule of the category (首办负责, Art. 26): the main unit the center
   named by the classification standard, one whose keyword is in the text first;
3. a keyword of the category found in the text (e.g. 污水 in 环保水务 → 区水务局),
   a rule for the appeal's community before one for its subdistrict before one for
   the whole district;
4. the category's rule for the appeal's community, then for its subdistrict
   (territorial categories go to the subdistrict office, 街道办事处);
5. the category's default unit;
6. a fallback rule of the category (for unclear cases, e.g. a territorial category
   whose place is unknown);
7. no category, or no rule for it: the subdistrict office of the place (territorial
   fallback, 属地兜底, Art. 21);
8. no known place either: the fallback unit (the center, which dispatches by hand).

Routing is *certain* when a project, a first-handler rule, or a rule of the appeal's
category that fits its place or names a keyword in its text decided (steps 1–4): then
the order is dispatched automatically. The category's district-wide default (step 5)
says which unit usually takes the category, not that this appeal is its: with the
fallbacks (steps 6–8) it is not certain, and the appeal waits in the dispatch queue for
an operator, the unit routing chose suggested (Art. 12).
Retired units and categories (Art. 8: the classification standard changes) are never
chosen: their rules are skipped as if closed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from minsheng_common.timeutil import SHANGHAI, as_utc


class Reason(StrEnum):
    """Why a unit was chosen; stable codes stored on the work order."""

    PROJECT = "project"
    FIRST_HANDLER = "first_handler"
    KEYWORD = "keyword"
    COMMUNITY = "community"
    SUBDISTRICT = "subdistrict"
    CATEGORY_DEFAULT = "category_default"
    FALLBACK_RULE = "fallback_rule"
    TERRITORIAL_FALLBACK = "territorial_fallback"
    CENTER_FALLBACK = "center_fallback"
    OPERATOR = "operator"


CERTAIN_REASONS = frozenset(
    {
        Reason.PROJECT,
        Reason.FIRST_HANDLER,
        Reason.KEYWORD,
        Reason.COMMUNITY,
        Reason.SUBDISTRICT,
        Reason.OPERATOR,
    }
)
"""The reasons an order may be dispatched on without an operator looking at it: a
project, a first-handler rule, a rule of the category for the appeal's place or
keyword, or the operator's own choice (Art. 12, 26, 43)."""


class RuleKind(StrEnum):
    """What a rule of the routing table is for."""

    STANDARD = "standard"
    """Category × place (× keyword) → unit: certain when its place or keyword
    matches; one for the whole district without a keyword is the category's default,
    which is not."""
    FIRST_HANDLER = "first_handler"
    """Category (× keyword) → the main unit named by the standard (Art. 26)."""
    FALLBACK = "fallback"
    """Category (× place) → unit for unclear cases; never certain."""


@dataclass(frozen=True)
class Rule:
    """One row of the routing table, as the routing function reads it."""

    id: int
    category_id: str
    unit_id: str
    valid_from: datetime
    subdistrict_id: str | None = None
    keyword: str | None = None
    valid_to: datetime | None = None
    community: str | None = None
    kind: RuleKind = RuleKind.STANDARD

    def in_force(self, at: datetime) -> bool:
        return in_force(self.valid_from, self.valid_to, at=at)


def in_force(valid_from: datetime, valid_to: datetime | None, *, at: datetime) -> bool:
    """Whether a rule valid from `valid_from` until `valid_to` (open when None)
    applies at `at`."""
    return valid_from <= at and (valid_to is None or at < valid_to)


@dataclass(frozen=True)
class Project:
    """A registered construction, rail or road project (Art. 43), as routing reads
    it. Dates are local calendar days, both included."""

    id: str
    name: str
    unit_id: str
    starts_on: date
    ends_on: date
    subdistrict_id: str | None = None
    community: str | None = None
    road: str | None = None
    category_ids: frozenset[str] = field(default_factory=frozenset)

    def running_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Route:
    """The unit chosen, the rule that chose it (None for a fallback) and why."""

    unit_id: str
    reason: Reason
    rule_id: int | None
    basis: str
    project_id: str | None = None

    @property
    def certain(self) -> bool:
        """Whether the order may go out without an operator: a project or a rule of
        the category for this place or keyword matched, not the category's default
        nor a fallback (Art. 12)."""
        return self.reason in CERTAIN_REASONS


def chosen_by_operator(unit_id: str, *, actor: str, reason: str) -> Route:
    """The route of an appeal an operator dispatched by hand from the queue."""
    return Route(
        unit_id=unit_id,
        reason=Reason.OPERATOR,
        rule_id=None,
        basis=f"dispatched by hand to {unit_id} by {actor}: {reason}",
    )


@dataclass(frozen=True)
class _Appeal:
    category_id: str | None
    subdistrict_id: str | None
    community: str | None
    text: str
    address: str


def pick_unit(
    *,
    rules: Iterable[Rule],
    category_id: str | None,
    subdistrict_id: str | None,
    text: str,
    at: datetime,
    subdistrict_units: Collection[str],
    fallback_unit: str,
    community: str | None = None,
    address: str | None = None,
    projects: Iterable[Project] = (),
    retired_units: Collection[str] = frozenset(),
    retired_categories: Collection[str] = frozenset(),
) -> Route:
    """The unit an appeal goes to under the rules in force at `at`.

    `subdistrict_units` are the unit ids of the subdistrict offices (they equal the
    subdistrict ids of the reference data); `fallback_unit` takes what nothing else
    names. `projects` are the registered projects not withdrawn; `retired_units` and
    `retired_categories` are never chosen.
    """
    retired_category = category_id is not None and category_id in retired_categories
    appeal = _Appeal(
        category_id=None if retired_category else category_id,
        subdistrict_id=subdistrict_id,
        community=community,
        text=text,
        address=address or "",
    )
    current = [
        rule
        for rule in rules
        if rule.in_force(at) and rule.unit_id not in retired_units
    ]
    mine = [rule for rule in current if rule.category_id == appeal.category_id]
    live_projects = [p for p in projects if p.unit_id not in retired_units]

    route = _by_project(live_projects, appeal, _local_day(at))
    if route is None and appeal.category_id is not None:
        route = (
            _by_first_handler(mine, appeal)
            or _by_keyword(mine, appeal)
            or _by_place(mine, appeal)
            or _by_default(mine, appeal.category_id)
            or _by_fallback_rule(mine, appeal)
        )
    if route is not None:
        return route

    offices = [unit for unit in subdistrict_units if unit not in retired_units]
    why = (
        f"category {category_id} is retired"
        if retired_category
        else "no category"
        if category_id is None
        else f"no rule of category {category_id} applies"
    )
    return _fallback(why, subdistrict_id, offices, fallback_unit)


def _local_day(at: datetime) -> date:
    return as_utc(at).astimezone(SHANGHAI).date()


def _by_project(
    projects: Sequence[Project], appeal: _Appeal, day: date
) -> Route | None:
    # The project named in the text first (the citizen said which site), then one
    # on the appeal's road, then one in its community, while its works run.
    found: list[tuple[int, str, Project]] = []
    for project in projects:
        match = _project_match(project, appeal, day)
        if match is not None:
            found.append((*match, project))
    if not found:
        return None

    _, how, project = min(
        found, key=lambda hit: (hit[0], -hit[2].starts_on.toordinal(), hit[2].id)
    )
    return Route(
        unit_id=project.unit_id,
        reason=Reason.PROJECT,
        rule_id=None,
        project_id=project.id,
        basis=f"registered project {project.id} '{project.name}' ({how}) → "
        f"{project.unit_id}, the unit in charge (Art. 43)",
    )


def _project_match(
    project: Project, appeal: _Appeal, day: date
) -> tuple[int, str] | None:
    if project.name and project.name in appeal.text:
        return 0, "named in the text"
    if not project.running_on(day):
        return None
    if project.category_ids and appeal.category_id not in project.category_ids:
        return None
    if project.road and (project.road in appeal.address or project.road in appeal.text):
        return 1, f"on {project.road} while its works run"
    same_place = project.subdistrict_id in (None, appeal.subdistrict_id)
    if project.community and project.community == appeal.community and same_place:
        return 2, f"in {project.community} while its works run"
    return None


def _by_first_handler(rules: Sequence[Rule], appeal: _Appeal) -> Route | None:
    named = [rule for rule in rules if rule.kind is RuleKind.FIRST_HANDLER]
    with_keyword = [
        rule for rule in named if rule.keyword and rule.keyword in appeal.text
    ]
    if with_keyword:
        rule = min(with_keyword, key=lambda r: _keyword_precedence(r, appeal.text))
    else:
        plain = [rule for rule in named if rule.keyword is None]
        if not plain:
            return None
        rule = _newest(plain)
    keyword = f", keyword '{rule.keyword}' in the text" if rule.keyword else ""
    return Route(
        unit_id=rule.unit_id,
        reason=Reason.FIRST_HANDLER,
        rule_id=rule.id,
        basis=f"rule {rule.id}: category {rule.category_id}{keyword} → "
        f"{rule.unit_id}, the main unit named by the standard (首办负责, Art. 26)",
    )


def _fits_place(rule: Rule, appeal: _Appeal) -> bool:
    if rule.subdistrict_id not in (None, appeal.subdistrict_id):
        return False
    return rule.community in (None, appeal.community)


def _place_rank(rule: Rule) -> int:
    """0 for a rule of a community, 1 of a subdistrict, 2 of the whole district."""
    if rule.community is not None:
        return 0
    return 1 if rule.subdistrict_id is not None else 2


def _keyword_precedence(rule: Rule, text: str) -> tuple[int, int, int, int]:
    keyword = rule.keyword or ""
    return (_place_rank(rule), text.find(keyword), -len(keyword), rule.id)


def _place_label(rule: Rule) -> str:
    if rule.community is not None:
        return f" in {rule.community}"
    return f" in {rule.subdistrict_id}" if rule.subdistrict_id else ""


def _by_keyword(rules: Sequence[Rule], appeal: _Appeal) -> Route | None:
    found = [
        rule
        for rule in rules
        if rule.kind is RuleKind.STANDARD
        and rule.keyword
        and rule.keyword in appeal.text
        and _fits_place(rule, appeal)
    ]
    if not found:
        return None

    # A rule for this very place beats a district-wide one; then the keyword met
    # first in the text, then the longer (more specific) keyword.
    rule = min(found, key=lambda r: _keyword_precedence(r, appeal.text))
    return Route(
        unit_id=rule.unit_id,
        reason=Reason.KEYWORD,
        rule_id=rule.id,
        basis=f"rule {rule.id}: category {rule.category_id}{_place_label(rule)}, "
        f"keyword '{rule.keyword}' in the text → {rule.unit_id}",
    )


def _by_place(rules: Sequence[Rule], appeal: _Appeal) -> Route | None:
    if appeal.subdistrict_id is None and appeal.community is None:
        return None
    found = [
        rule
        for rule in rules
        if rule.kind is RuleKind.STANDARD
        and rule.keyword is None
        and (rule.subdistrict_id is not None or rule.community is not None)
        and _fits_place(rule, appeal)
    ]
    if not found:
        return None
    best = min(_place_rank(rule) for rule in found)
    rule = _newest([r for r in found if _place_rank(r) == best])
    return Route(
        unit_id=rule.unit_id,
        reason=Reason.COMMUNITY if rule.community is not None else Reason.SUBDISTRICT,
        rule_id=rule.id,
        basis=f"rule {rule.id}: category {rule.category_id}{_place_label(rule)} "
        f"→ {rule.unit_id}",
    )


def _by_default(rules: Sequence[Rule], category_id: str) -> Route | None:
    found = [
        rule
        for rule in rules
        if rule.kind is RuleKind.STANDARD
        and rule.keyword is None
        and rule.subdistrict_id is None
        and rule.community is None
    ]
    if not found:
        return None
    rule = _newest(found)
    return Route(
        unit_id=rule.unit_id,
        reason=Reason.CATEGORY_DEFAULT,
        rule_id=rule.id,
        basis=f"rule {rule.id}: category {category_id} → {rule.unit_id}",
    )


def _by_fallback_rule(rules: Sequence[Rule], appeal: _Appeal) -> Route | None:
    found = [
        rule
        for rule in rules
        if rule.kind is RuleKind.FALLBACK
        and (rule.keyword is None or rule.keyword in appeal.text)
        and _fits_place(rule, appeal)
    ]
    if not found:
        return None
    rule = min(
        found,
        key=lambda r: (
            _place_rank(r),
            r.keyword is None,
            -r.valid_from.timestamp(),
            -r.id,
        ),
    )
    return Route(
        unit_id=rule.unit_id,
        reason=Reason.FALLBACK_RULE,
        rule_id=rule.id,
        basis=f"rule {rule.id}: fallback of category {rule.category_id}"
        f"{_place_label(rule)} → {rule.unit_id}; not certain, for an operator to "
        "confirm",
    )


def _fallback(
    why: str,
    subdistrict_id: str | None,
    subdistrict_units: Collection[str],
    fallback_unit: str,
) -> Route:
    if subdistrict_id is not None and subdistrict_id in subdistrict_units:
        return Route(
            unit_id=subdistrict_id,
            reason=Reason.TERRITORIAL_FALLBACK,
            rule_id=None,
            basis=f"{why}: territorial fallback to the subdistrict office "
            f"{subdistrict_id} (Art. 21)",
        )
    place = (
        "no subdistrict known"
        if subdistrict_id is None
        else f"subdistrict {subdistrict_id} is not a known unit"
    )
    return Route(
        unit_id=fallback_unit,
        reason=Reason.CENTER_FALLBACK,
        rule_id=None,
        basis=f"{why} and {place}: sent to {fallback_unit} to dispatch by hand",
    )


def _newest(rules: Sequence[Rule]) -> Rule:
    return max(rules, key=lambda rule: (rule.valid_from, rule.id))
