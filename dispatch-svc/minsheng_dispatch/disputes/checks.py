"""When a dispute step is refused, and the refusal that says why (409 with Art. 24,
404 or 422)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch import repository
from minsheng_dispatch.admin.errors import UnknownUnit
from minsheng_dispatch.attachments.models import Attachment
from minsheng_dispatch.attachments.store import is_digest
from minsheng_dispatch.disputes import levels
from minsheng_dispatch.disputes import repository as disputes_repo
from minsheng_dispatch.disputes.errors import (
    DecisionDocumentRequired,
    DisputeAlreadyOpen,
    DisputeAtTopLevel,
    DisputeDecided,
    DisputeLevelMismatch,
    DisputeNotFound,
    DisputeOrderEnded,
)
from minsheng_dispatch.disputes.levels import Level
from minsheng_dispatch.disputes.models import DECIDED, Dispute
from minsheng_dispatch.errors import (
    AlreadyClosed,
    AttachmentRefused,
    ClosurePending,
    OrderReturned,
    ReturnPending,
)
from minsheng_dispatch.models import WorkOrder

LIVE = frozenset(
    {
        repository.DISPATCHED,
        repository.RETURN_REQUESTED,
        repository.SIGNED,
        repository.IN_PROGRESS,
        repository.CLOSURE_REQUESTED,
    }
)
"""The states of an order its unit still holds; any other state has ended it."""

OPENABLE = frozenset({repository.DISPATCHED, repository.SIGNED, repository.IN_PROGRESS})
"""An order whose return or closure waits for the center is decided on first."""

REDISPATCHABLE = frozenset(
    {
        repository.DISPATCHED,
        repository.SIGNED,
        repository.IN_PROGRESS,
        repository.CLOSURE_REQUESTED,
    }
)
"""An order a decision may take from its unit for the owner."""


async def dispute(session: AsyncSession, dispute_id: str) -> Dispute:
    found = await disputes_repo.get(session, dispute_id)
    if found is None:
        raise DisputeNotFound(f"no dispute {dispute_id}", field="dispute_id")
    return found


def may_open(order: WorkOrder) -> None:
    """Refuse a dispute on an order that is ended or waits for the center."""
    _not_ended(order, "have its ownership disputed")
    if order.status == repository.RETURN_REQUESTED:
        raise ReturnPending(
            f"work order {order.id} is return_requested: its unit asked to return "
            "it; decide the return first, then open the dispute (Art. 13, Art. 24)"
        )
    if order.status not in OPENABLE:
        raise ClosurePending(
            f"work order {order.id} is {order.status}: its closure request waits "
            "for the center's review; review it first (Art. 17, Art. 24)"
        )


async def no_open_dispute(session: AsyncSession, work_order_id: str) -> None:
    """Refuse a second open dispute on one order: the first climbs the ladder."""
    found = await disputes_repo.open_of_order(session, work_order_id)
    if found is not None:
        raise DisputeAlreadyOpen(
            f"work order {work_order_id} already has open dispute {found.id}, at "
            f"{levels.NAMES[Level(found.level)]}; it is escalated or decided, not "
            "opened again (Art. 24)"
        )


async def units_known(session: AsyncSession, unit_ids: Sequence[str]) -> None:
    for unit_id in unit_ids:
        if await repository.unit(session, unit_id) is None:
            raise UnknownUnit(f"no unit {unit_id}", field="unit_ids")


def acting_level(found: Dispute, level: Level) -> None:
    """Pass when the dispute is open and stands at `level`; refuse otherwise."""
    if found.state == DECIDED:
        raise DisputeDecided(
            f"dispute {found.id} was decided by {levels.NAMES[Level(found.level)]} "
            f"for unit {found.owner_unit_id}; it takes no further step (Art. 24)"
        )
    if found.level != level:
        raise DisputeLevelMismatch(
            f"dispute {found.id} stands at {levels.NAMES[Level(found.level)]}; "
            f"{levels.NAMES[level]} cannot act on it now (Art. 24)",
            field="level",
        )


def next_level(found: Dispute) -> Level:
    """The level above the dispute's; refused at the district leader's meeting."""
    upper = levels.above(Level(found.level))
    if upper is None:
        raise DisputeAtTopLevel(
            f"dispute {found.id} stands at {levels.NAMES[Level(found.level)]}, the "
            "last level: it must decide which unit owns the order (Art. 24)"
        )
    return upper


def may_escalate(order: WorkOrder) -> None:
    _not_ended(order, "have its dispute escalated")


def may_decide(order: WorkOrder, *, moves: bool) -> None:
    """Refuse a decision the order's state cannot take. A closed order may still be
    confirmed to the unit that closed it; moving it needs a reopening first."""
    if order.status != repository.CLOSED:
        _not_ended(order, "have its dispute decided")
    if order.status == repository.RETURN_REQUESTED:
        raise ReturnPending(
            f"work order {order.id} is return_requested: its unit asked to return "
            "it; decide the return first, then the dispute (Art. 13, Art. 24)"
        )
    if moves and order.status not in REDISPATCHABLE:
        raise AlreadyClosed(
            f"work order {order.id} is closed and cannot go to another unit; the "
            "center may reopen it (重办) first, or confirm it to its unit (Art. 24)"
        )


def document_given(level: Level, document: str | None) -> None:
    if document is None and level in levels.DOCUMENT_REQUIRED:
        raise DecisionDocumentRequired(
            f"a decision of {levels.NAMES[level]} is recorded with its written "
            "decision attached as `document` (Art. 24)",
            field="document",
        )


async def document_usable(session: AsyncSession, document: str | None) -> None:
    """The center may attach any stored attachment: it sees them all."""
    if document is None:
        return
    if not is_digest(document) or await session.get(Attachment, document) is None:
        raise AttachmentRefused(
            f"attachment {document} is unknown; upload it with POST /v1/attachments "
            "first",
            field="document",
        )


def _not_ended(order: WorkOrder, what: str) -> None:
    _not_returned(order, what)
    if order.status == repository.CLOSED:
        raise AlreadyClosed(
            f"work order {order.id} is closed and cannot {what}; the center may "
            "reopen it (重办) (Art. 24)"
        )
    if order.status not in LIVE:
        raise DisputeOrderEnded(
            f"work order {order.id} is {order.status} and cannot {what}: it ended "
            "and its appeal goes on in other orders, where a dispute belongs "
            "(Art. 24)"
        )


def _not_returned(order: WorkOrder, what: str) -> None:
    if order.status == repository.RETURNED:
        raise OrderReturned(
            f"work order {order.id} is returned and cannot {what}: it was replaced "
            f"by work order {order.redispatched_to} (Art. 13, Art. 24)"
        )
