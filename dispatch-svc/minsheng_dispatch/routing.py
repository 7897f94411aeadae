"""Choosing the unit for an appeal from the routing table (分拨, Art. 6, 12, 21).

A pure function over the rules in force: the same rules and the same appeal always
give the same unit, and the answer says which rule decided and why, so the choice can
be audited and explained to the unit that receives the order.

The order of precedence, most specific first:

1. a keyword of the category found in the text (e.g. 污水 in 环保水务 → 区水务局),
   a rule for the appeal's subdistrict before one for the whole district;
2. the category's rule for the appeal's subdistrict (territorial categories go to the
   subdistrict office, 街道办事处);
3. the category's default unit;
4. no category, or no rule for it: the subdistrict office of the place (territorial
   fallback, 属地兜底, Art. 21);
5. no known place either: the fallback unit (the center, which dispatches by hand).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Reason(StrEnum):
    """Why a unit was chosen; stable codes stored on the work order."""

    KEYWORD = "keyword"
    SUBDISTRICT = "subdistrict"
    CATEGORY_DEFAULT = "category_default"
    TERRITORIAL_FALLBACK = "territorial_fallback"
    CENTER_FALLBACK = "center_fallback"


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

    def in_force(self, at: datetime) -> bool:
        return in_force(self.valid_from, self.valid_to, at=at)


def in_force(valid_from: datetime, valid_to: datetime | None, *, at: datetime) -> bool:
    """Whether a rule valid from `valid_from` until `valid_to` (open when None)
    applies at `at`."""
    return valid_from <= at and (valid_to is None or at < valid_to)


@dataclass(frozen=True)
class Route:
    """The unit chosen, the rule that chose it (None for a fallback) and why."""

    unit_id: str
    reason: Reason
    rule_id: int | None
    basis: str


def pick_unit(
    *,
    rules: Iterable[Rule],
    category_id: str | None,
    subdistrict_id: str | None,
    text: str,
    at: datetime,
    subdistrict_units: Collection[str],
    fallback_unit: str,
) -> Route:
    """The unit an appeal goes to under the rules in force at `at`.

    `subdistrict_units` are the unit ids of the subdistrict offices (they equal the
    subdistrict ids of the reference data); `fallback_unit` takes what nothing else
    names.
    """
    current = [rule for rule in rules if rule.in_force(at)]
    mine = [rule for rule in current if rule.category_id == category_id]

    route = None
    if category_id is not None:
        route = (
            _by_keyword(mine, category_id, subdistrict_id, text)
            or _by_subdistrict(mine, category_id, subdistrict_id)
            or _by_default(mine, category_id)
        )
    return route or _fallback(
        category_id, subdistrict_id, subdistrict_units, fallback_unit
    )


def _by_keyword(
    rules: Sequence[Rule], category_id: str, subdistrict_id: str | None, text: str
) -> Route | None:
    found = [
        rule
        for rule in rules
        if rule.keyword
        and rule.keyword in text
        and rule.subdistrict_id in (None, subdistrict_id)
    ]
    if not found:
        return None

    # A rule for this very place beats a district-wide one; then the keyword met
    # first in the text, then the longer (more specific) keyword.
    def precedence(rule: Rule) -> tuple[int, int, int, int]:
        keyword = rule.keyword or ""
        place = 0 if rule.subdistrict_id is not None else 1
        return (place, text.find(keyword), -len(keyword), rule.id)

    rule = min(found, key=precedence)
    place = f" in {rule.subdistrict_id}" if rule.subdistrict_id else ""
    return Route(
        unit_id=rule.unit_id,
        reason=Reason.KEYWORD,
        rule_id=rule.id,
        basis=f"rule {rule.id}: category {category_id}{place}, keyword "
        f"'{rule.keyword}' in the text → {rule.unit_id}",
    )


def _by_subdistrict(
    rules: Sequence[Rule], category_id: str, subdistrict_id: str | None
) -> Route | None:
    if subdistrict_id is None:
        return None
    found = [
        rule
        for rule in rules
        if rule.keyword is None and rule.subdistrict_id == subdistrict_id
    ]
    if not found:
        return None
    rule = _newest(found)
    return Route(
        unit_id=rule.unit_id,
        reason=Reason.SUBDISTRICT,
        rule_id=rule.id,
        basis=f"rule {rule.id}: category {category_id} in {subdistrict_id} "
        f"→ {rule.unit_id}",
    )


def _by_default(rules: Sequence[Rule], category_id: str) -> Route | None:
    found = [
        rule for rule in rules if rule.keyword is None and rule.subdistrict_id is None
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


def _fallback(
    category_id: str | None,
    subdistrict_id: str | None,
    subdistrict_units: Collection[str],
    fallback_unit: str,
) -> Route:
    why = (
        "no category"
        if category_id is None
        else f"no rule of category {category_id} applies"
    )
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
