"""The adapter with no mail server set, as `make run` starts it: it serves and
idles, saying so once. Who may call what: following the mail and asking for a poll
needs channel:operate (center operators and supervisors); an attachment opens for
the center and the units. And the settings production refuses."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web
from minsheng_mailbox.app import create_app
from minsheng_mailbox.settings import MailboxSettings
from tests.adapter_support import running

OPERATE = {
    ("GET", "/v1/items"),
    ("GET", "/v1/stats"),
    ("GET", "/v1/messages"),
    ("GET", "/v1/mailbox"),
    ("POST", "/v1/poll"),
    ("GET", "/v1/answers/stats"),
}
SIGNED_BY_NOTIFY = {("POST", "/v1/answers/{channel}")}
ATTACHMENT = {("GET", "/v1/attachments/{name}")}
MISSING = "/v1/attachments/" + "0" * 64 + ".jpg"


@pytest.fixture
def settings(settings_of: Callable[..., MailboxSettings]) -> MailboxSettings:
    """No mail server: the embedded default's adapter."""
    return settings_of()


@pytest.fixture
async def app(
    settings: MailboxSettings,
    keys: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[FastAPI]:
    caplog.set_level(logging.INFO, logger="minsheng_mailbox")
    async with running(create_app(settings)) as application:
        yield application


def test_mailbox_every_route_is_in_the_access_table(app: FastAPI) -> None:
    assert set(web.guarded_routes(app)) == OPERATE | ATTACHMENT | SIGNED_BY_NOTIFY


async def test_mailbox_without_a_mail_server_idles_and_says_so_once(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, poll: Any
) -> None:
    said = "no mail server is set (MAILBOX_IMAP_HOST): the mailbox is not read"

    def lines() -> list[str]:
        # The adapter started while the test was set up.
        records = [*caplog.get_records("setup"), *caplog.records]
        return [record.getMessage() for record in records]

    await poll(lambda: said in lines())
    state = (await client.get("/v1/mailbox")).json()
    refused = await client.post("/v1/poll")

    assert lines().count(said) == 1
    assert (await client.get("/healthz")).status_code == 200
    assert state["configured"] is False
    assert (state["last_poll_at"], state["consecutive_failures"]) == (None, 0)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "mailbox_not_configured"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("operator", True),
        ("supervisor", True),
        ("channel", False),
        ("unit", False),
        ("leader", False),
        ("dashboard", False),
        ("operations", False),
    ],
)
async def test_mailbox_only_the_center_follows_the_mail(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str, allowed: bool
) -> None:
    for method, path in sorted(OPERATE):
        if method != "GET":
            continue
        answer = await anonymous.get(path, headers={"X-API-Key": keys[role]})

        assert answer.status_code == (200 if allowed else 403), path
    poll = await anonymous.post("/v1/poll", headers={"X-API-Key": keys[role]})
    assert poll.status_code == (503 if allowed else 403)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("operator", 404),
        ("unit", 404),
        ("channel", 403),
        ("leader", 403),
        (None, 401),
    ],
)
async def test_mailbox_an_attachment_opens_for_the_center_and_the_units(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str | None, status: int
) -> None:
    headers = {"X-API-Key": keys[role]} if role else {}

    answer = await anonymous.get(MISSING, headers=headers)

    assert answer.status_code == status


async def test_mailbox_an_attachment_name_is_a_digest_and_an_ending(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/attachments/..%2F..%2Fetc%2Fpasswd")

    assert answer.status_code in (404, 422)


PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "intake_api_key": "ms_0123456789ab_" + "k" * 43,
    "imap_host": "mail.pingshan.example.cn",
    "imap_username": "xinxiang",
    "imap_password": "a-real-mailbox-password",
    "public_url": "https://minsheng.example.gov.cn/mailbox",
}


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"intake_api_key": ""}, "MAILBOX_INTAKE_API_KEY"),
        ({"imap_host": ""}, "MAILBOX_IMAP_HOST"),
        ({"imap_password": ""}, "MAILBOX_IMAP_PASSWORD"),
        ({"public_url": ""}, "MAILBOX_PUBLIC_URL"),
        ({"imap_security": "plain"}, "MAILBOX_IMAP_SECURITY=plain"),
    ],
)
def test_mailbox_production_refuses_to_start_without_what_it_needs(
    changes: dict[str, Any], refusal: str
) -> None:
    settings = MailboxSettings(**{**PRODUCTION, **changes})

    with pytest.raises(ValueError, match=refusal):
        settings.check_production()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_mailbox_plain_imap_is_allowed_in_production_on_loopback(host: str) -> None:
    settings = MailboxSettings(
        **{**PRODUCTION, "imap_security": "plain", "imap_host": host}
    )

    settings.check_production()
    assert settings.imap_port_or_default() == 143
