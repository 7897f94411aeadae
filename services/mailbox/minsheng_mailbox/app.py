"""The mailbox adapter's application: the API, its store, the poller that reads the
mailbox and the delivery loop to intake."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from minsheng_common.adapters import app as adapter
from minsheng_common.adapters.answers import Courier
from minsheng_common.runtime import ServiceRuntime
from minsheng_mailbox import courier, delivery, imap, mapping, routes
from minsheng_mailbox.models import Answer, WebhookReceipt
from minsheng_mailbox.poller import Pace, Poller
from minsheng_mailbox.service import MailboxContext
from minsheng_mailbox.settings import MailboxSettings

MIGRATIONS = "minsheng_mailbox:migrations"


def create_app(settings: MailboxSettings | None = None) -> FastAPI:
    settings = settings or MailboxSettings()

    def context(runtime: ServiceRuntime, wake: asyncio.Event) -> MailboxContext:
        return MailboxContext(
            clock=runtime.clock,
            wake=wake,
            channel=settings.channel,
            folder=settings.imap_folder,
            configured=bool(settings.imap_host.strip()),
            limits=mapping.Limits(
                attachment_types=settings.attachment_type_set(),
                attachment_max_bytes=settings.attachment_max_bytes,
                message_max_bytes=settings.message_max_bytes,
                max_title_chars=settings.max_title_chars,
                max_content_chars=settings.max_content_chars,
            ),
            attachment_base_url=settings.attachment_base_url(),
        )

    def couriers(runtime: ServiceRuntime) -> dict[str, Courier]:
        # Without a mail server for replies the mailbox does not answer: notify
        # is told so (404) and reaches the citizen another way.
        replies = courier.make(settings, runtime.sessions, runtime.clock)
        return {settings.channel: replies} if replies is not None else {}

    app = adapter.create(
        settings=settings,
        script_location=MIGRATIONS,
        delivery=delivery.make,
        receipt=WebhookReceipt,
        context=context,
        title="Minsheng mailbox adapter",
        description="Reads the government mailbox (政府信箱) over IMAP and delivers "
        "each citizen's mail to intake as an appeal, in order, with retries and an "
        "idempotency key (Art. 4, 5): the subject and text as the content, the "
        "sender's address as the contact, the attachments kept here and attached "
        "by URL. Auto-replies and bounces are recorded and ignored. Notify's "
        "answers go back to the sender as email replies.",
        routers=[routes.router, routes.items],
        answers=Answer,
        couriers=couriers,
    )
    poller = Poller(
        server=imap_server(settings),
        context=app.state.context,
        pace=Pace(
            poll_seconds=settings.poll_seconds,
            backoff_cap_seconds=settings.poll_backoff_cap_seconds,
            batch=settings.fetch_batch,
        ),
    )
    # The poller is this adapter's own loop, run by the runtime beside the
    # delivery it feeds.
    runtime: ServiceRuntime = app.state.runtime
    runtime.background = [*runtime.background, poller.run]
    return app


def imap_server(settings: MailboxSettings) -> imap.ImapServer | None:
    """The mail server to read, or None when none is set (the adapter idles)."""
    host = settings.imap_host.strip()
    if not host:
        return None
    return imap.ImapServer(
        host=host,
        port=settings.imap_port_or_default(),
        security=settings.imap_security,
        username=settings.imap_username,
        password=settings.imap_password.get_secret_value(),
        folder=settings.imap_folder,
        ca_file=settings.imap_ca_file,
        timeout=settings.imap_timeout_seconds,
    )
