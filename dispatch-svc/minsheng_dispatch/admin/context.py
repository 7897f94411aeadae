"""What the administration needs besides the store, built once per application from
dispatch's own context and settings."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.clock import Clock
from minsheng_common.events import AppealFiled
from minsheng_common.reference import ReferenceData, load_reference
from minsheng_common.rules import RuleBook
from minsheng_common.working_calendar import WorkingCalendar, default_calendar
from minsheng_dispatch import routing


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

    def registration_working_days(self, registered_at: datetime) -> int:
        """Art. 43: how many working days before its works start a project is
        registered, by the rule edition in force when it was registered."""
        edition = self.rule_book.in_force(registered_at)
        return edition.project_registration_working_days

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
