"""Rotating the PII key: with INTAKE_PII_KEYS="new,old" an appeal stored under the old
key still decrypts, and `rotate-pii-keys` re-encrypts everything under the new key,
once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from minsheng_common import pii
from minsheng_common.devstack.broker import free_port
from minsheng_intake.__main__ import main
from minsheng_intake.app import create_app
from minsheng_intake.models import Appeal, ContactDisclosure
from minsheng_intake.settings import IntakeSettings

OLD = pii.new_key()
NEW = pii.new_key()


@asynccontextmanager
async def operator(
    store_url: str, tmp_path: Path, key: str, pii_keys: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """Intake running with `pii_keys`, and an operator's client."""
    settings = IntakeSettings(
        database_url=store_url,
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        pii_keys=pii_keys,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://intake", headers={"X-API-Key": key}
        ) as http:
            yield http, app


async def stored_tokens(store_url: str, tmp_path: Path, key: str) -> list[str]:
    async with operator(store_url, tmp_path, key, NEW) as (_, app):
        runtime = app.state.runtime
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(Appeal.contact_encrypted, Appeal.name_encrypted)
            )
            return [token for row in rows for token in row if token]


async def test_rotation(
    store_url: str,
    tmp_path: Path,
    keys: dict[str, str],
    body: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = keys["operator"]
    async with operator(store_url, tmp_path, key, OLD) as (http, _):
        first = await http.post("/v1/appeals", json=body(name="张三"))
        second = await http.post(
            "/v1/appeals", json=body(channel_ref="2", name="李四", contact=None)
        )
    assert (first.status_code, second.status_code) == (201, 201)

    # The new key first, the old one still there: the old appeal still decrypts.
    async with operator(store_url, tmp_path, key, f"{NEW},{OLD}") as (http, _):
        disclosed = await http.post(
            f"/v1/appeals/{first.json()['id']}/contact-disclosures",
            json={"reason": "轮换后核对"},
        )
    assert disclosed.status_code == 201
    assert disclosed.json()["contact"]["value"] == "+8613800012345"
    assert disclosed.json()["name"] == "张三"

    monkeypatch.setenv("INTAKE_DATABASE_URL", store_url)
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INTAKE_PII_KEYS", f"{NEW},{OLD}")
    await asyncio.to_thread(main, ["rotate-pii-keys", "--batch-size", "1"])
    assert "3 personal data values re-encrypted" in capsys.readouterr().out

    newest_only = pii.PiiVault([NEW])
    tokens = await stored_tokens(store_url, tmp_path, key)
    assert sorted(newest_only.decrypt(token) for token in tokens) == sorted(
        ["+8613800012345", "张三", "李四"]
    )

    await asyncio.to_thread(main, ["rotate-pii-keys"])
    assert "0 personal data values re-encrypted" in capsys.readouterr().out
    assert await stored_tokens(store_url, tmp_path, key) == tokens

    # The old key can go now.
    async with operator(store_url, tmp_path, key, NEW) as (http, _):
        disclosed = await http.post(
            f"/v1/appeals/{first.json()['id']}/contact-disclosures",
            json={"reason": "旧密钥删除后核对"},
        )
    assert disclosed.json()["name"] == "张三"


async def test_without_the_old_key_an_old_appeal_cannot_be_disclosed(
    store_url: str, tmp_path: Path, keys: dict[str, str], body: Any
) -> None:
    key = keys["operator"]
    async with operator(store_url, tmp_path, key, OLD) as (http, _):
        appeal = (await http.post("/v1/appeals", json=body())).json()

    async with operator(store_url, tmp_path, key, NEW) as (http, app):
        answer = await http.post(
            f"/v1/appeals/{appeal['id']}/contact-disclosures",
            json={"reason": "密钥缺失"},
        )
        async with app.state.runtime.sessions() as session:
            recorded = await session.scalar(
                select(func.count()).select_from(ContactDisclosure)
            )

    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "pii_key_error"
    assert recorded == 0
