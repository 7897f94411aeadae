"""What the administration needs besides the store, built once per application from
dispatch's own context and settings."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.clock import Clock
from minsheng_common.events import AppealFiled
from minsheng_common.reference import ReferenceData, load_reference
from minsheng_common.rules import RuleBook
from minsheng_common.working_calendar import WorkingCalendar, default_calendar
from minsheng_dispatch import routing

REGISTRATION_WORKING_DAYS = 15
"""Art. 43: a project is registered 15 working days before its works start. (Not in
the rule book's editions yet; it belongs there with the other periods.)"""


class ChosenDispatch(Protocol):
    """Makes and dispatches the work order of a queued appeal to the unit an operator
    chose, in the caller's transaction, and answers the order's id
    (`dispatching.chosen_dispatch`: the path of an automatic dispatch, merge at
    dispatch included); None when the appeal has an order already."""

    def __call__(
        self,
        *,
        session: AsyncSession,
        appeal: AppealFiled,
        route: routing.Route,
        actor: str,
    ) -> Awaitable[str | None]: ...


@dataclass(frozen=True)
class AdminContext:
    clock: Clock
    calendar: WorkingCalendar
    reference: ReferenceData
    rule_book: RuleBook
    fallback_unit_id: str
    registration_working_days: int = REGISTRATION_WORKING_DAYS

    def communities(self, subdistrict_id: str) -> frozenset[str] | None:
        """The communities of a subdistrict; None for an unknown subdistrict."""
        for subdistrict in self.reference.subdistricts:
            if subdistrict.id == subdistrict_id:
                return frozenset(subdistrict.communities)
        return None


def build(
    *,
    clock: Clock,
    rule_book: RuleBook,
    fallback_unit_id: str,
    reference: ReferenceData | None = None,
) -> AdminContext:
    reference = reference or load_reference()
    return AdminContext(
        clock=clock,
        calendar=default_calendar(reference.hours()),
        reference=reference,
        rule_book=rule_book,
        fallback_unit_id=fallback_unit_id,
    )
