"""Delivery and its evidence on PostgreSQL as on SQLite: the migration matches the
models, fallback, quiet hours, messages to officials claimed beside citizens'
(FOR UPDATE SKIP LOCKED over the outer join), receipts and call records (Art. 36)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from minsheng_common import migrations
from minsheng_common.auth import webhooks
from minsheng_notify import delivery
from minsheng_notify.app import MIGRATIONS
from minsheng_notify.delivery import Address, Audience
from minsheng_notify.models import Base
from minsheng_notify.senders import MailboxFolderSender, SenderChoice, SmsGatewaySender

DELIVERY_TABLES = {"recipients", "notices", "notice_attempts", "call_records"}
NIGHT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
SECRET = "sms-receipt-secret-sms-receipt-secret"


@pytest.fixture
def postgres_url(create_database: Callable[[str], str]) -> str:
    return create_database("notify_delivery")


def _tables(difference: Any) -> set[str]:
    """The tables an autogenerate difference is about."""
    if isinstance(difference, list):
        return set().union(*(_tables(item) for item in difference))
    for part in difference[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return {table.name}
        if name is not None and hasattr(part, "columns"):
            return {name}
        if isinstance(part, str) and part in DELIVERY_TABLES:
            return {part}
    return set()


async def differences(url: str) -> list[Any]:
    """What the migrated store at `url` lacks or has beyond the delivery tables of
    the models."""

    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, Base.metadata))

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(compare)
    finally:
        await engine.dispose()
    return [d for d in found if _tables(d) & DELIVERY_TABLES]


async def test_notify_delivery_migration_matches_the_models_on_sqlite(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    await migrations.upgrade_async(MIGRATIONS, url)

    assert await differences(url) == []


async def test_notify_delivery_migration_matches_the_models_on_postgres(
    postgres_url: str,
) -> None:
    await migrations.upgrade_async(MIGRATIONS, postgres_url)

    assert await differences(postgres_url) == []


async def test_notify_postgres_falls_back_and_keeps_the_evidence(
    make_harness: Any, postgres_url: str, providers: Any, tmp_path: Path
) -> None:
    providers.plan("sms", "refuse")
    mailbox = MailboxFolderSender(tmp_path / "mailbox")
    senders = SenderChoice(
        default=mailbox,
        by_contact_kind={
            "phone": SmsGatewaySender(url=f"{providers.url}/sms", key="", timeout=2),
            "email": mailbox,
        },
    )
    notify = await make_harness(url=postgres_url, senders=senders)
    await notify.file_appeal("a-1", second=("email", "li@example.com"))
    await notify.request_acceptance("a-1")

    await notify.send()

    notice = await notify.notice("a-1")
    assert (notice.status, notice.channel) == ("sent", "mailbox")
    attempts = await notify.attempts(notice.id)
    assert [(a.outcome, a.channel, a.recipient_masked) for a in attempts] == [
        ("failed", "sms", "138****8000"),
        ("sent", "mailbox", "l***@example.com"),
    ]
    assert all(len(a.content_sha256 or "") == 64 for a in attempts)
    assert attempts[1].at.tzinfo is not None


async def test_notify_postgres_holds_sms_in_quiet_hours_and_sends_officials(
    make_harness: Any, postgres_url: str, providers: Any, tmp_path: Path
) -> None:
    senders = SenderChoice(
        default=MailboxFolderSender(tmp_path / "mailbox"),
        by_contact_kind={
            "phone": SmsGatewaySender(url=f"{providers.url}/sms", key="", timeout=2)
        },
    )
    notify = await make_harness(url=postgres_url, senders=senders)
    notify.clock.advance(NIGHT - notify.clock.now())
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")
    async with notify.sessions() as session, session.begin():
        await delivery.queue_message(
            session=session,
            context=notify.context,
            request_id="urging:ev-1:cgj",
            kind="urging",
            body="【民生诉求】工单已过半，请加快办理。",
            audience=Audience.UNIT,
            work_order_id="wo-1",
            unit_id="cgj",
            to=[Address.seal(notify.vault, "phone", "13900139000")],
        )

    report = await notify.send()

    assert (report.held, report.sent) == (1, 1)
    (texted,) = providers.delivered_by("sms")
    assert texted["body"]["to"] == "13900139000"
    held = await notify.notice("a-1")
    assert held.next_attempt_at == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)


async def test_notify_postgres_receipts_and_call_records(
    make_running_notify: Any, postgres_url: str, providers: Any
) -> None:
    notify = await make_running_notify(
        database_url=postgres_url,
        sms_gateway_url=f"{providers.url}/sms",
        receipt_secrets={"sms": SECRET},
    )
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")
    sent = await notify.wait_for("a-1", lambda n: n["status"] == "sent")
    body = json.dumps(
        {"receipts": [{"message_id": sent["provider_ref"], "status": "delivered"}]}
    ).encode()
    stamp = int(time.time())

    receipts = await notify.anonymous.post(
        "/v1/receipts/sms",
        content=body,
        headers={
            webhooks.TIMESTAMP_HEADER: str(stamp),
            webhooks.SIGNATURE_HEADER: webhooks.sign(SECRET, stamp, body),
        },
    )
    called = await notify.operator.post(
        f"/v1/notices/{sent['id']}/call-record",
        json={
            "called_by": "王坐席",
            "called_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "outcome": "no_answer",
            "duration_seconds": 0,
        },
    )

    assert receipts.json() == {"applied": 1, "unchanged": 0, "unknown": 0}
    assert called.status_code == 201
    evidence = await notify.operator.get(
        "/v1/evidence", params={"work_order_id": "wo-1"}
    )
    (notice,) = evidence.json()["notices"]
    assert [(a["channel"], a["delivery_status"]) for a in notice["attempts"]] == [
        ("sms", "delivered"),
        ("call", None),
    ]
