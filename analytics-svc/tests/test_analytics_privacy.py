"""Nothing analytics keeps or shows is personal data (Art. 41): it stores the title
intake already redacted, never the content, address, contact or name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from minsheng_analytics.models import AppealFact, Base
from minsheng_common.bus.tables import bus_metadata
from minsheng_common.events import AppealFiled, NoticeSent

# What intake's appeal.filed carries besides the title, each of which analytics must
# leave out; the title is the one intake redacted.
REDACTED_TITLE = "138****5678反映秀新社区路灯不亮"
PERSONAL = {
    "content": "我叫张三丰，电话13812345678，住坑梓街道秀新社区8栋302。",
    "address": "坑梓街道秀新社区8栋302",
    "community": "秀新社区8栋",
    "contact_encrypted": "gAAAAB-contact-ciphertext-ABCDEFG",
    "name_encrypted": "gAAAAB-name-ciphertext-HIJKLMN",
}
RECIPIENT = "138****5678-recipient"


def personal_filed(story: Any) -> tuple[AppealFiled, Any]:
    data, at = story.appeal_filed()
    values = data.model_dump()
    values.update(PERSONAL, title=REDACTED_TITLE, consent_to_disclose=True)
    return AppealFiled(**values), at


async def everything_stored(app: Any) -> str:
    """Every value of every row of analytics' store, as one text."""
    values: list[str] = []
    async with app.state.runtime.sessions() as session:
        for table in [*Base.metadata.sorted_tables, *bus_metadata.sorted_tables]:
            rows = await session.execute(select(table))
            values.extend(str(value) for row in rows.all() for value in row)
    return "\n".join(values)


async def test_analytics_keeps_the_redacted_title_and_no_personal_data(
    app: Any,
    client: httpx.AsyncClient,
    app_projector: Any,
    story: Callable[..., Any],
) -> None:
    appeal = story("a-1")
    sent_data, sent_at = appeal.notice_sent(minutes=42)
    sent = NoticeSent(**{**sent_data.model_dump(), "recipient_masked": RECIPIENT})
    await app_projector.apply_all(
        [
            appeal.appeal_received(),
            personal_filed(appeal),
            appeal.dispatched(),
            appeal.signed(minutes=20),
            appeal.acceptance_requested(minutes=41),
            (sent, sent_at),
        ]
    )

    stored = await everything_stored(app)
    async with app.state.runtime.sessions() as session:
        fact = await session.scalar(select(AppealFact))
    kpis = (await client.get("/v1/kpis")).text
    page = (await client.get("/")).text

    assert fact is not None
    assert fact.title == REDACTED_TITLE
    assert REDACTED_TITLE in page
    for shown in (stored, kpis, page):
        for value in [*PERSONAL.values(), RECIPIENT, "13812345678", "张三丰"]:
            assert value not in shown


async def test_analytics_a_late_received_event_keeps_the_filed_title(
    app: Any, app_projector: Any, story: Callable[..., Any]
) -> None:
    # appeal.received carries no title: the only title is the one appeal.filed has.
    appeal = story("a-2", title="路灯不亮")
    received, at = appeal.appeal_received()
    await app_projector.apply((received, at))
    await app_projector.apply(appeal.appeal_filed())
    await app_projector.apply((received, at + timedelta(minutes=5)))

    async with app.state.runtime.sessions() as session:
        fact = await session.get(AppealFact, "a-2")

    assert fact is not None
    assert fact.title == "路灯不亮"


def test_analytics_has_no_column_for_personal_data() -> None:
    columns = {
        column.name for table in Base.metadata.sorted_tables for column in table.columns
    }
    for word in ("contact", "name", "address", "content", "recipient", "phone"):
        assert not [column for column in columns if word in column], word
