"""The Art. 12 and Art. 13 figures counted again from dispatch's work orders, so the
benchmark can set them beside analytics' projection.

Dispatched within the limit (Art. 12): natural time from the appeal's filing to the
order's dispatch, at most the dispatch hours of the rule edition in force when the
order was created (rules.md §11); over every dispatched order. Signed within the
limit (Art. 13): signed by the unit itself (a default sign never counts) at or before
the sign-off deadline, the edition's working hours after dispatch on the working
calendar; over every signed order. These are analytics' definitions
(`GET /v1/kpis/definitions`), computed here without analytics' code.

An order merged into another (并案, Art. 18) stays in both as analytics keeps it:
dispatched, so in the Art. 12 count, and never signed, so not in Art. 13's. The
benchmark also counts both rates over the orders not merged, by giving only those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from minsheng_common.reference import load_reference
from minsheng_common.rules import RuleBook, load_rule_book
from minsheng_common.working_calendar import WorkingCalendar, default_calendar


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def __str__(self) -> str:
        share = "   n/a" if self.share is None else f"{self.share:6.1%}"
        return f"{self.numerator:>5}/{self.denominator:<5} {share}"


@dataclass(frozen=True)
class Figures:
    """The two time-limit rates, and where dispatch's own per-order answers (its
    `dispatched_within_target` flag and `sign_off_due_at`) differ from the count."""

    dispatch_within_limit: Rate
    sign_off_within_limit: Rate
    flag_differs: int
    deadline_differs: int


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def merged(order: Mapping[str, Any]) -> bool:
    """Whether the order ended merged into another (Art. 18)."""
    return order["merged_into"] is not None


def from_work_orders(
    orders: Iterable[Mapping[str, Any]],
    *,
    rules: RuleBook | None = None,
    calendar: WorkingCalendar | None = None,
) -> Figures:
    """Count both rates over dispatch's work orders as `GET /v1/work-orders` lists
    them."""
    rules = rules or load_rule_book()
    calendar = calendar or default_calendar(load_reference().hours())
    dispatched = within_hour = signed = signed_in_time = 0
    flag_differs = deadline_differs = 0
    for order in orders:
        edition = rules.in_force(at(order["created_at"]))
        dispatched_at = at(order["dispatched_at"])

        dispatched += 1
        in_time = dispatched_at - at(order["filed_at"]) <= edition.dispatch_within
        within_hour += in_time
        flag_differs += in_time != order["dispatched_within_target"]

        due = calendar.add_working_hours(dispatched_at, edition.sign_off).at
        given = order["sign_off_due_at"]
        # sla cancels a merged order's clocks: it may never have had a deadline.
        if not merged(order):
            deadline_differs += given is None or at(given) != due
        if order["signed_at"] is None:
            continue
        signed += 1
        signed_in_time += (
            order["sign_mode"] == "manual" and at(order["signed_at"]) <= due
        )
    return Figures(
        dispatch_within_limit=Rate(within_hour, dispatched),
        sign_off_within_limit=Rate(signed_in_time, signed),
        flag_differs=flag_differs,
        deadline_differs=deadline_differs,
    )


def from_analytics(rates: Mapping[str, Any]) -> Figures:
    """The same two rates from the `rates` of analytics' `GET /v1/kpis`."""

    def rate(key: str) -> Rate:
        return Rate(rates[key]["numerator"], rates[key]["denominator"])

    return Figures(
        dispatch_within_limit=rate("dispatch_within_limit"),
        sign_off_within_limit=rate("sign_off_within_limit"),
        flag_differs=0,
        deadline_differs=0,
    )


def disagreements(analytics: Figures, dispatch: Figures) -> list[str]:
    """One line for each rate whose numerator or denominator differs."""
    lines = []
    for label, key in (
        ("Art. 12 dispatch within the limit", "dispatch_within_limit"),
        ("Art. 13 sign-off within the limit", "sign_off_within_limit"),
    ):
        theirs, ours = getattr(analytics, key), getattr(dispatch, key)
        if theirs != ours:
            lines.append(
                f"{label}: analytics {theirs.numerator}/{theirs.denominator}, "
                f"dispatch's work orders {ours.numerator}/{ours.denominator}"
            )
    return lines
