"""Splitting (拆分, Art. 19): one citizen reports several events for two or more units
with clear responsibility; the appeal becomes several event numbers, one order per
unit, each timed from its own dispatch and assessed on its own.

The order that was split ends (split); each part is a new order of the same appeal
with the tracking code followed by its number (`…-1`, `…-2`), the part's summary
ahead of the appeal's text, `split_from` naming the order it came from and its clock
from its dispatch (work_order.dispatched with clock_from "dispatched").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth.principal import Principal
from minsheng_dispatch import repository
from minsheng_dispatch.admin.registry import check_unit_usable
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.special import orders, roles
from minsheng_dispatch.special.errors import UnitsRepeated
from minsheng_dispatch.special.schemas import SplitIn

log = logging.getLogger(__name__)

ARTICLE = "Art. 19"
REASON = "center_split"


@dataclass(frozen=True)
class Split:
    """The order that was split and its parts, in the order given."""

    origin: WorkOrder
    parts: list[WorkOrder]


async def split(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: SplitIn,
) -> Split:
    """The center splits an unfinished order into one order per part, each to its
    unit with its own clock from now. Commits."""
    reason = redaction.redact(incoming.reason)
    origin = await orders.center_order(session, work_order_id)
    orders.check_unfinished(origin, what="be split", article=ARTICLE)
    orders.check_not_in_group(origin, what="be split", article=ARTICLE)
    await _check_units(session, incoming)

    now = context.clock.now()
    actor = principal.label()
    edition = context.rule_book.by_id(origin.rules_edition)
    parts = [
        orders.derived(
            origin,
            unit_id=part.unit_id,
            origin_key=f"split:{origin.id}:{number}",
            tracking_code=_part_code(origin.tracking_code, number),
            content=_content(redaction.redact(part.summary), origin.content),
            role=roles.SOLE,
            parallel_group_id=None,
            split_from=origin.id,
            now=now,
            edition=edition,
            reason=REASON,
            basis=f"part {number} of work order {origin.id}, split by the center "
            f"({ARTICLE}): {reason}",
        )
        for number, part in enumerate(incoming.parts, start=1)
    ]
    origin = await orders.replace(
        session,
        context,
        origin,
        status=repository.SPLIT,
        replacements=parts,
        parallel_group_id=None,
        actor=actor,
        at=now,
        reason=reason,
        detail={
            "parts": [
                {"work_order_id": part.id, "unit_id": part.unit_id} for part in parts
            ]
        },
        what="be split",
        article=ARTICLE,
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s split by %s into %s",
        origin.id,
        origin.appeal_id,
        actor,
        ", ".join(f"{part.id} ({part.unit_id})" for part in parts),
    )
    return Split(origin=origin, parts=parts)


async def _check_units(session: AsyncSession, incoming: SplitIn) -> None:
    seen: set[str] = set()
    for index, part in enumerate(incoming.parts):
        field = f"parts.{index}.unit_id"
        if part.unit_id in seen:
            raise UnitsRepeated(
                f"unit {part.unit_id} is named for two parts: a split gives each "
                f"unit one order with all of its part ({ARTICLE})",
                field=field,
            )
        seen.add(part.unit_id)
        await check_unit_usable(session, part.unit_id, field=field)


def _part_code(tracking_code: str, number: int) -> str:
    # The event number of a part: the appeal's code and the part's number; a part
    # split again adds its own number, within the column's 32 characters.
    suffix = f"-{number}"
    return tracking_code[: 32 - len(suffix)] + suffix


def _content(summary: str, appeal_text: str) -> str:
    return f"{summary}\n\n【原诉求】{appeal_text}"
