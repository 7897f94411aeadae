"""A second contact of another kind (e.g. an email besides a phone number): kept
encrypted like the first, shown masked, carried encrypted in appeal.filed so notify
can fall back to it, erased with the first after the retention period and
re-encrypted when the key rotates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from minsheng_common import pii
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake import retention, rotation
from minsheng_intake.models import Appeal
from minsheng_intake.settings import IntakeSettings

Submit = Callable[..., Awaitable[dict[str, Any]]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]

EMAIL = {"kind": "email", "value": "Li.Si@Example.COM"}
NORMALISED = "Li.Si@example.com"


async def stored(app: FastAPI, appeal_id: str) -> Appeal:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        return appeal


async def test_a_second_contact_travels_encrypted_in_appeal_filed(
    app: FastAPI, submit: Submit, events: Events
) -> None:
    appeal = await submit(second_contact=EMAIL)

    assert appeal["decision"]["status"] == "filed"
    assert appeal["contact"]["kind"] == "phone"
    assert appeal["second_contact"] == {"kind": "email", "masked": "L***@example.com"}
    (filed,) = [e for e in await events() if e["type"] == "appeal.filed"]
    assert filed["schema_version"] == "1.3"
    data = filed["data"]
    assert data["second_contact_kind"] == "email"
    vault: pii.PiiVault = app.state.context.vault
    assert vault.decrypt(data["second_contact_encrypted"]) == NORMALISED
    assert NORMALISED.lower() not in repr(await events()).lower()


async def test_without_a_second_contact_appeal_filed_carries_none(
    submit: Submit, events: Events
) -> None:
    appeal = await submit()

    assert appeal["second_contact"] is None
    (filed,) = [e for e in await events() if e["type"] == "appeal.filed"]
    assert filed["data"]["second_contact_kind"] is None
    assert filed["data"]["second_contact_encrypted"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"second_contact": {"kind": "phone", "value": "13900012345"}},
            "second_contact.kind",
        ),
        ({"contact": None, "second_contact": EMAIL}, "second_contact"),
        (
            {"second_contact": {"kind": "email", "value": "not an address"}},
            "second_contact.value",
        ),
    ],
    ids=["same-kind", "without-a-first", "unusable"],
)
async def test_a_second_contact_that_cannot_serve_as_fallback_is_refused(
    client: httpx.AsyncClient,
    body: Callable[..., dict[str, Any]],
    events: Events,
    changes: dict[str, Any],
    field: str,
) -> None:
    answer = await client.post("/v1/appeals", json=body(**changes))

    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_second_contact", field)
    assert await events() == []


async def test_anonymising_erases_the_second_contact_too(
    app: FastAPI, submit: Submit
) -> None:
    now = datetime.fromisoformat("2029-01-01T00:00:00+00:00")
    retained = timedelta(days=730)
    appeal = await submit(second_contact=EMAIL)
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        await session.execute(
            update(Appeal)
            .where(Appeal.id == appeal["id"])
            .values(closed_at=now - retained - timedelta(days=1))
        )
        await session.commit()

    erased = await retention.anonymise_expired(
        sessions=runtime.sessions,
        vault=app.state.context.vault,
        now=now,
        retention=retained,
    )

    assert erased == 1
    gone = await stored(app, appeal["id"])
    assert (gone.second_contact_encrypted, gone.second_contact_masked) == (None, None)
    assert gone.second_contact_kind == "email"


async def test_rotating_the_key_re_encrypts_the_second_contact(
    app: FastAPI, submit: Submit, settings: IntakeSettings
) -> None:
    appeal = await submit(second_contact=EMAIL)
    newest = pii.new_key()
    runtime: ServiceRuntime = app.state.runtime

    rotated = await rotation.rotate_all(
        sessions=runtime.sessions,
        keys=[newest, *settings.pii_key_list()],
        batch_size=10,
    )

    assert rotated == 2
    row = await stored(app, appeal["id"])
    assert row.second_contact_encrypted is not None
    assert pii.PiiVault([newest]).decrypt(row.second_contact_encrypted) == NORMALISED
