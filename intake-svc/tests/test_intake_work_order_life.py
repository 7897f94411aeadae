"""Whether an earlier appeal is still being handled, learned from the work-order
events through intake's consumer handlers, on SQLite and PostgreSQL: a repeat within
3 working days is linked while the earlier order is open and filed anew once it is
closed (Art. 11(3)5); a staged closure closes (Art. 17); an appeal with another order
still open stays open (Art. 19, 20); reopening opens it again; merged appeals follow
the surviving order, and are read by its unit (Art. 18)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from minsheng_common.bus import inbox
from minsheng_common.events import (
    EventData,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderMerged,
    WorkOrderReopened,
    seal,
)
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_intake import consumers
from minsheng_intake.models import Appeal
from minsheng_intake.sameness import openness
from minsheng_intake.sameness.models import AppealHandling

Submit = Callable[..., Awaitable[dict[str, Any]]]
ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]

STREETLIGHT = {
    "category_hint": "municipal-facilities",
    "title": "路灯不亮",
    "content": "石井街道田心社区路灯编号 SJ-0231 晚上不亮，行人看不清路。",
    "address": "石井街道田心社区",
}
SOMEONE_ELSE = {"kind": "phone", "value": "13900001111"}


def local(text: str) -> datetime:
    """A time in Asia/Shanghai, e.g. "2026-12-01 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def deliver(app: FastAPI, data: EventData) -> None:
    """Apply one event as intake's consumer loop does: the inbox row and the
    handler's changes in one transaction."""
    runtime: ServiceRuntime = app.state.runtime
    handlers = {
        event_type: handler
        for spec in consumers.specs(app.state.context)
        for event_type, handler in spec.handlers.items()
    }
    envelope = seal(data, producer="dispatch", occurred_at=runtime.clock.now())
    async with runtime.sessions() as session:
        await inbox.claim(
            session,
            envelope,
            topic=data.topic,
            partition=0,
            offset=0,
            applied_at=runtime.clock.now(),
        )
        await handlers[envelope.type](session, envelope, data)
        await session.commit()


def dispatched(
    appeal_id: str, work_order_id: str, at: str, *, unit_id: str = "cgj"
) -> WorkOrderDispatched:
    return WorkOrderDispatched(
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        tracking_code="MS-TEST",
        unit_id=unit_id,
        appeal_type="complaint",
        filed_at=local(at),
        created_at=local(at),
        dispatched_at=local(at),
        route_basis="category",
        rules_edition="measures-v4",
    )


def closed(
    appeal_id: str,
    work_order_id: str,
    at: str,
    *,
    outcome: str = "on_time",
    appeal_closed: bool = True,
) -> WorkOrderClosed:
    return WorkOrderClosed(
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        unit_id="cgj",
        outcome=outcome,  # type: ignore[arg-type]
        handled_at=local(at),
        closed_at=local(at),
        closed_by="operator:center-1",
        check_date=date(2026, 12, 31) if outcome == "staged" else None,
        appeal_closed=appeal_closed,
    )


def reopened(appeal_id: str, work_order_id: str, at: str) -> WorkOrderReopened:
    return WorkOrderReopened(
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        unit_id="cgj",
        round=2,
        reason="回访不满意，路灯仍不亮",
        reopened_at=local(at),
        reopened_by="operator:center-1",
    )


async def appeal_row(app: FastAPI, appeal_id: str) -> Appeal:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        appeal = await session.get(Appeal, appeal_id)
    assert appeal is not None
    return appeal


async def handling_state(app: FastAPI, appeal_id: str) -> str | None:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        row = await session.get(AppealHandling, appeal_id)
    return row.state if row else None


async def test_art_11_3_5_a_repeat_is_linked_while_open_and_filed_anew_once_closed(
    app: FastAPI, submit: Submit
) -> None:
    """Tuesday's appeal is dispatched: Wednesday's report of the same streetlight by
    the same caller is not filed, linked to it. Its order is closed on Wednesday:
    Thursday's report, still inside the 3 working days, is filed anew."""
    first = await submit(
        **STREETLIGHT, channel_ref="tue", received_at="2026-12-01T10:00:00+08:00"
    )
    await deliver(app, dispatched(first["id"], "wo-1", "2026-12-01 10:30"))

    while_open = await submit(
        **STREETLIGHT, channel_ref="wed", received_at="2026-12-02T09:00:00+08:00"
    )
    await deliver(app, closed(first["id"], "wo-1", "2026-12-02 16:00"))
    once_closed = await submit(
        **STREETLIGHT, channel_ref="thu", received_at="2026-12-03T09:00:00+08:00"
    )

    assert while_open["decision"]["status"] == "rejected"
    assert while_open["decision"]["reason_code"] == "repeat"
    assert while_open["decision"]["repeat_of"] == first["id"]
    assert once_closed["decision"]["status"] == "filed"
    assert await handling_state(app, first["id"]) == openness.CLOSED
    earlier = await appeal_row(app, first["id"])
    assert earlier.closed_at == local("2026-12-02 16:00")


async def test_art_17_a_staged_closure_closes_the_appeal(
    app: FastAPI, submit: Submit
) -> None:
    """A staged closure (阶段性办结) is one of the closures of Art. 17; what follows is
    the check of its date, not more handling of the appeal."""
    first = await submit(
        **STREETLIGHT, channel_ref="tue", received_at="2026-12-01T10:00:00+08:00"
    )
    await deliver(app, dispatched(first["id"], "wo-1", "2026-12-01 10:30"))
    await deliver(
        app, closed(first["id"], "wo-1", "2026-12-02 16:00", outcome="staged")
    )

    again = await submit(
        **STREETLIGHT, channel_ref="thu", received_at="2026-12-03T09:00:00+08:00"
    )

    assert again["decision"]["status"] == "filed"
    assert (await appeal_row(app, first["id"])).closed_at == local("2026-12-02 16:00")


async def test_art_19_20_an_appeal_with_another_order_open_is_still_handled(
    app: FastAPI, submit: Submit
) -> None:
    """One unit closed its order of a split or parallel appeal, another has not
    (`appeal_closed` false): the appeal is still being handled, a repeat."""
    first = await submit(
        **STREETLIGHT, channel_ref="tue", received_at="2026-12-01T10:00:00+08:00"
    )
    await deliver(app, dispatched(first["id"], "wo-1", "2026-12-01 10:30"))
    await deliver(
        app, closed(first["id"], "wo-1", "2026-12-02 16:00", appeal_closed=False)
    )

    again = await submit(
        **STREETLIGHT, channel_ref="thu", received_at="2026-12-03T09:00:00+08:00"
    )

    assert again["decision"]["reason_code"] == "repeat"
    assert await handling_state(app, first["id"]) == openness.OPEN
    assert (await appeal_row(app, first["id"])).closed_at is None


async def test_a_reopened_order_makes_the_appeal_handled_again(
    app: FastAPI, submit: Submit
) -> None:
    """Reopened (重办) after its closure, the earlier appeal is being handled again:
    the same report is a repeat again (Art. 11(3)5), and the appeal is no longer
    closed."""
    first = await submit(
        **STREETLIGHT, channel_ref="tue", received_at="2026-12-01T10:00:00+08:00"
    )
    await deliver(app, dispatched(first["id"], "wo-1", "2026-12-01 10:30"))
    await deliver(app, closed(first["id"], "wo-1", "2026-12-01 17:00"))
    await deliver(app, reopened(first["id"], "wo-1", "2026-12-02 11:00"))

    again = await submit(
        **STREETLIGHT, channel_ref="thu", received_at="2026-12-03T09:00:00+08:00"
    )

    assert again["decision"]["reason_code"] == "repeat"
    assert again["decision"]["repeat_of"] == first["id"]
    assert await handling_state(app, first["id"]) == openness.OPEN
    assert (await appeal_row(app, first["id"])).closed_at is None


async def test_a_closure_older_than_the_reopening_changes_nothing(
    app: FastAPI, submit: Submit
) -> None:
    """Events may arrive late: the one that happened last decides."""
    first = await submit(
        **STREETLIGHT, channel_ref="tue", received_at="2026-12-01T10:00:00+08:00"
    )
    await deliver(app, reopened(first["id"], "wo-1", "2026-12-02 11:00"))
    await deliver(app, closed(first["id"], "wo-1", "2026-12-01 17:00"))

    assert await handling_state(app, first["id"]) == openness.OPEN
    assert (await appeal_row(app, first["id"])).closed_at is None


async def test_art_18_merged_appeals_follow_the_surviving_order(
    app: FastAPI, submit: Submit
) -> None:
    """Two callers report the same streetlight; the second's order is merged into
    the first's. The second appeal is handled with it: closed when it closes (its
    caller's next report is filed anew), open again when it is reopened."""
    first = await submit(
        **STREETLIGHT, channel_ref="one", received_at="2026-12-01T10:00:00+08:00"
    )
    second = await submit(
        **STREETLIGHT,
        channel_ref="two",
        contact=SOMEONE_ELSE,
        received_at="2026-12-01T10:05:00+08:00",
    )
    await deliver(app, dispatched(first["id"], "wo-1", "2026-12-01 10:30"))
    await deliver(app, dispatched(second["id"], "wo-2", "2026-12-01 10:35"))
    await deliver(
        app,
        WorkOrderMerged(
            work_order_id="wo-1",
            appeal_id=first["id"],
            merged_work_order_ids=["wo-2"],
            merged_appeal_ids=[second["id"]],
            merged_at=local("2026-12-01 11:00"),
            merged_by="operator:center-1",
        ),
    )

    await deliver(app, closed(first["id"], "wo-1", "2026-12-02 16:00"))
    after_closure = await submit(
        **STREETLIGHT,
        channel_ref="two-again",
        contact=SOMEONE_ELSE,
        received_at="2026-12-03T09:00:00+08:00",
    )
    closed_with_it = await handling_state(app, second["id"])
    await deliver(app, reopened(first["id"], "wo-1", "2026-12-03 11:00"))

    assert closed_with_it == openness.CLOSED
    assert after_closure["decision"]["status"] == "filed"
    assert await handling_state(app, second["id"]) == openness.OPEN
    assert (await appeal_row(app, second["id"])).closed_at is None


async def test_art_18_a_merged_appeal_closes_with_the_surviving_order(
    app: FastAPI, submit: Submit
) -> None:
    first = await submit(
        **STREETLIGHT, channel_ref="one", received_at="2026-12-01T10:00:00+08:00"
    )
    second = await submit(
        **STREETLIGHT,
        channel_ref="two",
        contact=SOMEONE_ELSE,
        received_at="2026-12-01T10:05:00+08:00",
    )
    await deliver(app, dispatched(second["id"], "wo-2", "2026-12-01 10:35"))
    await deliver(
        app,
        WorkOrderMerged(
            work_order_id="wo-1",
            appeal_id=first["id"],
            merged_work_order_ids=["wo-1", "wo-2"],
            merged_appeal_ids=[first["id"], second["id"]],
            merged_at=local("2026-12-01 11:00"),
            merged_by="operator:center-1",
        ),
    )
    before = await handling_state(app, second["id"])

    await deliver(app, closed(first["id"], "wo-1", "2026-12-02 16:00"))

    assert before == openness.OPEN
    assert await handling_state(app, second["id"]) == openness.CLOSED
    assert (await appeal_row(app, second["id"])).closed_at == local("2026-12-02 16:00")
    assert await handling_state(app, first["id"]) == openness.CLOSED


def merger(first: str, second: str, at: str = "2026-12-01 11:00") -> WorkOrderMerged:
    """The second appeal's order wo-2 merged into the first's wo-1."""
    return WorkOrderMerged(
        work_order_id="wo-1",
        appeal_id=first,
        merged_work_order_ids=["wo-2"],
        merged_appeal_ids=[second],
        merged_at=local(at),
        merged_by="operator:center-1",
    )


async def readable_by(client_for: ClientFor, unit: str, appeal_id: str) -> int:
    async with client_for(unit) as http:
        return (await http.get(f"/v1/appeals/{appeal_id}")).status_code


async def two_reports(submit: Submit) -> tuple[str, str]:
    """Two callers report the same streetlight."""
    first = await submit(
        **STREETLIGHT, channel_ref="one", received_at="2026-12-01T10:00:00+08:00"
    )
    second = await submit(
        **STREETLIGHT,
        channel_ref="two",
        contact=SOMEONE_ELSE,
        received_at="2026-12-01T10:05:00+08:00",
    )
    return first["id"], second["id"]


async def test_art_18_the_surviving_orders_unit_reads_the_merged_appeals(
    app: FastAPI, submit: Submit, client_for: ClientFor
) -> None:
    """The first appeal's order went to jtj, the second's to cgj; the second order
    is merged into the first. jtj now handles both and reads both; cgj's order
    ended, so it reads neither."""
    first, second = await two_reports(submit)
    await deliver(app, dispatched(first, "wo-1", "2026-12-01 10:30", unit_id="jtj"))
    await deliver(app, dispatched(second, "wo-2", "2026-12-01 10:35", unit_id="cgj"))
    before = await readable_by(client_for, "jtj", second)

    await deliver(app, merger(first, second))

    assert before == 404
    assert await readable_by(client_for, "jtj", second) == 200
    assert await readable_by(client_for, "jtj", first) == 200
    assert await readable_by(client_for, "cgj", second) == 404
    assert await readable_by(client_for, "cgj", first) == 404


async def test_art_18_one_unit_holding_both_orders_keeps_the_merged_appeal(
    app: FastAPI, submit: Submit, client_for: ClientFor
) -> None:
    first, second = await two_reports(submit)
    await deliver(app, dispatched(first, "wo-1", "2026-12-01 10:30"))
    await deliver(app, dispatched(second, "wo-2", "2026-12-01 10:35"))

    await deliver(app, merger(first, second))

    assert await readable_by(client_for, "cgj", second) == 200
    assert await readable_by(client_for, "cgj", first) == 200


async def test_art_18_events_arriving_out_of_order_end_with_the_same_holders(
    app: FastAPI, submit: Submit, client_for: ClientFor
) -> None:
    """The merger is learnt before either dispatch (the orders' events travel on
    different partitions): the surviving order's dispatch brings the merged appeal
    to its unit, and the merged order's, dispatched before the merger, gives its
    unit nothing."""
    first, second = await two_reports(submit)

    await deliver(app, merger(first, second))
    await deliver(app, dispatched(first, "wo-1", "2026-12-01 10:30", unit_id="jtj"))
    await deliver(app, dispatched(second, "wo-2", "2026-12-01 10:35", unit_id="cgj"))

    assert await readable_by(client_for, "jtj", second) == 200
    assert await readable_by(client_for, "cgj", second) == 404
