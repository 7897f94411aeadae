"""Erasing citizens' contacts after the retention period: only when the filing and
the last notice are older than it and nothing is pending; the notices and their
evidence stay, masked; an erased contact never comes back and is never sent to."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import AppealFiled, read, seal
from minsheng_common.runtime import ServiceRuntime
from minsheng_notify.app import create_app
from minsheng_notify.consumers import NotifyConsumers
from minsheng_notify.models import Notice, Recipient
from minsheng_notify.retention import erase_expired
from minsheng_notify.sending import CONTEXT_KEY
from minsheng_notify.settings import NotifySettings

RETENTION = timedelta(days=730)


async def erase(notify: Any) -> int:
    return await erase_expired(
        sessions=notify.sessions, now=notify.clock.now(), retention=RETENTION
    )


def test_notify_retention_defaults_to_730_days_and_reads_its_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert NotifySettings().pii_retention == timedelta(days=730)

    monkeypatch.setenv("NOTIFY_PII_RETENTION_DAYS", "365")

    assert NotifySettings().pii_retention == timedelta(days=365)


async def test_notify_contact_is_erased_after_retention_and_evidence_stays(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")
    await notify.send()

    notify.clock.advance(RETENTION + timedelta(hours=1))
    erased = await erase(notify)

    assert erased == 1
    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.contact_encrypted is None
    assert recipient.contact_erased_at == notify.clock.now()
    assert recipient.tracking_code == "MS20261204000123"
    notice = await notify.notice("a-1")
    assert (notice.status, notice.recipient_masked) == ("sent", "138****8000")
    assert [a.outcome for a in await notify.attempts(notice.id)] == ["sent"]
    assert await erase(notify) == 0


async def test_notify_contact_is_kept_within_retention_of_filing_or_last_notice(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("old-quiet")
    await notify.file_appeal("old-but-notified-later")
    notify.clock.advance(timedelta(days=400))
    await notify.request_acceptance("old-but-notified-later")
    await notify.send()
    await notify.file_appeal("recent")

    notify.clock.advance(timedelta(days=400))
    erased = await erase(notify)

    assert erased == 1
    quiet = await notify.recipient("old-quiet")
    notified = await notify.recipient("old-but-notified-later")
    recent = await notify.recipient("recent")
    assert quiet is not None and quiet.contact_encrypted is None
    assert notified is not None and notified.contact_encrypted is not None
    assert recent is not None and recent.contact_encrypted is not None


async def test_notify_contact_of_a_pending_notice_is_kept(
    make_harness: Any, flaky_sender: Any
) -> None:
    notify = await make_harness(
        sender=flaky_sender(failures=1000),
        max_attempts=50,
        backoff=timedelta(days=1),
        backoff_max=timedelta(days=1000),
    )
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")
    await notify.send()

    notify.clock.advance(RETENTION + timedelta(days=1))
    erased = await erase(notify)

    assert erased == 0
    assert (await notify.notice("a-1")).status == "pending"
    recipient = await notify.recipient("a-1")
    assert recipient is not None and recipient.contact_encrypted is not None


async def test_notify_replayed_filing_does_not_restore_an_erased_contact(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1")
    notify.clock.advance(RETENTION + timedelta(days=1))
    await erase(notify)

    await notify.file_appeal("a-1")

    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.contact_encrypted is None


async def test_notify_notice_to_an_erased_contact_fails_without_sending(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1")
    notify.clock.advance(RETENTION + timedelta(days=1))
    await erase(notify)

    await notify.request_acceptance("a-1")
    report = await notify.send()

    notice = await notify.notice("a-1")
    assert report.failed == 1
    assert notice.status == "failed"
    assert notice.last_error is not None
    assert notice.last_error.startswith("contact_erased")
    assert not notify.mailbox.exists()
    (event,) = await notify.events("notice.failed")
    assert event["reason"] == "contact_erased"


@pytest.fixture
def postgres_url(create_database: Callable[[str], str]) -> str:
    return create_database("notify_retention")


async def test_notify_erasure_on_postgres(make_harness: Any, postgres_url: str) -> None:
    notify = await make_harness(url=postgres_url)
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")
    await notify.send()
    await notify.file_appeal("a-2")
    notify.clock.advance(timedelta(days=500))
    await notify.file_appeal("a-3")

    notify.clock.advance(timedelta(days=300))
    erased = await erase(notify)

    assert erased == 2
    kept = {
        appeal_id: (await notify.recipient(appeal_id)).contact_encrypted is not None
        for appeal_id in ("a-1", "a-2", "a-3")
    }
    assert kept == {"a-1": False, "a-2": False, "a-3": True}


async def test_notify_background_loop_erases_by_the_service_clock(
    tmp_path: Path,
) -> None:
    clock = SharedClock(tmp_path / "clock.json")
    start = clock.now()
    settings = NotifySettings(
        environment="test",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'notify.db'}",
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        clock_file=clock.path,
        pii_retention_days=30,
        retention_check_seconds=0.05,
        send_poll_ms=20,
    )
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.runtime
    async with app.router.lifespan_context(app):
        context = runtime.extras[CONTEXT_KEY]
        filed = AppealFiled(
            appeal_id="a-1",
            tracking_code="MS20261204000001",
            channel="hotline-12345",
            appeal_type="complaint",
            title="路灯不亮",
            content="某路段路灯不亮",
            received_at=start,
            filed_at=start,
            contact_kind="phone",
            contact_encrypted=context.vault.encrypt("13800138000"),
        )
        envelope = seal(filed, producer="intake", occurred_at=start)
        async with runtime.sessions() as session, session.begin():
            await NotifyConsumers(context).on_appeal_filed(
                session, envelope, read(envelope)
            )

        async def contact_kept() -> bool:
            async with runtime.sessions() as session:
                recipient = await session.get(Recipient, "a-1")
                assert recipient is not None
                return recipient.contact_encrypted is not None

        async def filing_notice_sent() -> bool:
            async with runtime.sessions() as session:
                status = await session.scalar(
                    select(Notice.status).where(Notice.request_id == "filed:a-1")
                )
                return status == "sent"

        # The filing notice goes out first; the retention period runs from it.
        async with asyncio.timeout(10):
            while True:
                if await filing_notice_sent():
                    break
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        assert await contact_kept()

        clock.advance(timedelta(days=31))
        async with asyncio.timeout(10):
            while True:
                if not await contact_kept():
                    break
                await asyncio.sleep(0.02)
