"""Every caller known: API keys, people's tokens, scopes, rate limits, rotation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, ClassVar

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic_settings import SettingsConfigDict

from minsheng_common import web
from minsheng_common.auth import provisioning, ratelimit, registry
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role, Scope
from minsheng_common.auth.tokens import TokenSigner
from minsheng_common.devstack.broker import free_port
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.settings import ServiceSettings

SECRET_A = "a" * 40
SECRET_B = "b" * 40


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


router = APIRouter()


@router.get("/orders")
async def orders(
    principal: Annotated[Principal, Depends(require(Scope.WORK_ORDERS_UNIT))],
) -> dict[str, str | None]:
    return {"unit": principal.unit_id}


def make_app(tmp_path: Path, **settings: object) -> FastAPI:
    options: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'demo.db'}",
        "data_dir": tmp_path,
        "kafka_bootstrap_servers": f"127.0.0.1:{free_port()}",
        "token_secrets": SECRET_A,
    }
    options.update(settings)
    return web.create_app(
        title="Demo",
        description="demo",
        runtime=ServiceRuntime(settings=DemoSettings(**options)),  # type: ignore[arg-type]
        routers=[router],
    )


@pytest.fixture
def credentials(tmp_path: Path) -> Path:
    return tmp_path / "credentials.json"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(tmp_path)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo"
        ) as http:
            yield http


def unit_key(path: Path, unit: str = "cgj", **options: object) -> str:
    return provisioning.add_key(
        path,
        name="clerk system",
        role=Role.UNIT,
        unit_id=unit,
        **options,  # type: ignore[arg-type]
    )


async def unit_user_token(client: httpx.AsyncClient, credentials: Path) -> str:
    """Add li, a person of unit swj, and sign in as li: the token issued."""
    provisioning.add_user(
        credentials,
        username="li",
        password="right-password-1",
        role=Role.UNIT,
        unit_id="swj",
    )
    answer = await client.post(
        "/v1/auth/token", data={"username": "li", "password": "right-password-1"}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def test_no_credentials_is_401_with_a_challenge(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/orders")

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert answer.headers["WWW-Authenticate"] == "Bearer"


async def test_a_valid_key_names_its_unit(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    key = unit_key(credentials)

    answer = await client.get("/orders", headers={"X-API-Key": key})

    assert answer.status_code == 200
    assert answer.json() == {"unit": "cgj"}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
        lambda key: "ms_unknown_" + key.split("_", 2)[2],
        lambda key: "not-a-key",
    ],
)
async def test_a_wrong_or_unknown_key_is_401(
    client: httpx.AsyncClient, credentials: Path, mangle: object
) -> None:
    key = unit_key(credentials)

    answer = await client.get("/orders", headers={"X-API-Key": mangle(key)})  # type: ignore[operator]

    assert answer.status_code == 401


async def test_the_wrong_scope_is_403(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    key = provisioning.add_key(credentials, name="board", role=Role.DASHBOARD)

    answer = await client.get("/orders", headers={"X-API-Key": key})

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


async def test_an_expired_key_is_401(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    key = unit_key(credentials, expires_in=timedelta(seconds=-1))

    answer = await client.get("/orders", headers={"X-API-Key": key})

    assert answer.status_code == 401
    assert "expired" in answer.json()["error"]["message"]


async def test_a_key_rotated_with_requests_in_flight_never_fails_a_request(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    old = unit_key(credentials)
    statuses: list[tuple[str, int]] = []
    in_use = {"key": old}
    stop = asyncio.Event()

    async def caller() -> None:
        while not stop.is_set():
            key = in_use["key"]
            answer = await client.get("/orders", headers={"X-API-Key": key})
            statuses.append((key, answer.status_code))
            await asyncio.sleep(0.01)

    running = asyncio.gather(*(caller() for _ in range(4)))
    await asyncio.sleep(0.3)
    new = unit_key(credentials)
    await asyncio.sleep(1.2)  # every service sees a changed file within a second
    in_use["key"] = new
    await asyncio.sleep(0.3)
    provisioning.revoke_key(credentials, old.split("_")[1])
    await asyncio.sleep(1.2)
    stop.set()
    await running

    assert statuses and all(status == 200 for _key, status in statuses)
    assert {key for key, _status in statuses} == {old, new}
    answer = await client.get("/orders", headers={"X-API-Key": old})
    assert answer.status_code == 401


async def test_a_person_signs_in_and_uses_the_token(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    provisioning.add_user(
        credentials,
        username="li",
        password="秘密-pass-1-长",
        role=Role.UNIT,
        unit_id="swj",
    )

    signed_in = await client.post(
        "/v1/auth/token", data={"username": "li", "password": "秘密-pass-1-长"}
    )
    token = signed_in.json()["access_token"]
    answer = await client.get("/orders", headers={"Authorization": f"Bearer {token}"})
    me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert signed_in.status_code == 200
    assert signed_in.json()["expires_in"] == 15 * 60
    assert answer.json() == {"unit": "swj"}
    assert me.json()["role"] == "unit"


async def test_a_wrong_password_is_401(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    provisioning.add_user(
        credentials, username="li", password="right-password-1", role=Role.OPERATOR
    )

    answer = await client.post(
        "/v1/auth/token", data={"username": "li", "password": "wrong"}
    )

    assert answer.status_code == 401


async def test_a_tampered_token_is_401(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    token = await unit_user_token(client, credentials)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["unit_id"] = "cgj"
    forged = jwt.encode(claims, "guessed-secret-guessed-secret-000", algorithm="HS256")

    answer = await client.get("/orders", headers={"Authorization": f"Bearer {forged}"})

    assert answer.status_code == 401


async def test_an_expired_token_is_401(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    provisioning.add_user(
        credentials,
        username="li",
        password="right-password-1",
        role=Role.UNIT,
        unit_id="swj",
    )
    principal = Principal(subject="li", role=Role.UNIT, unit_id="swj", via="token")
    token = TokenSigner([SECRET_A]).issue(
        principal, now=datetime.now(UTC) - timedelta(hours=1)
    )

    answer = await client.get("/orders", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 401


async def test_token_secrets_rotate_old_tokens_valid_while_the_old_secret_is_listed(
    tmp_path: Path, credentials: Path
) -> None:
    provisioning.add_user(
        credentials,
        username="li",
        password="right-password-1",
        role=Role.UNIT,
        unit_id="swj",
    )
    principal = Principal(subject="li", role=Role.UNIT, unit_id="swj", via="token")
    old_token = TokenSigner([SECRET_A]).issue(principal)

    async def status_with(secrets: str) -> int:
        app = make_app(tmp_path, token_secrets=secrets)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://d") as c:
                headers = {"Authorization": f"Bearer {old_token}"}
                return (await c.get("/orders", headers=headers)).status_code

    assert await status_with(f"{SECRET_B},{SECRET_A}") == 200
    assert await status_with(SECRET_B) == 401


async def test_a_disabled_user_token_stops_working(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    token = await unit_user_token(client, credentials)
    stored = registry.load(credentials)
    stored.users[0].disabled = True
    registry.save(credentials, stored)
    await asyncio.sleep(1.1)

    answer = await client.get("/orders", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 401


async def test_over_the_budget_is_429_with_retry_after(
    tmp_path: Path, credentials: Path
) -> None:
    key = unit_key(credentials)
    app = make_app(tmp_path, rate_limit_per_minute=5)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://d") as http:
            statuses = [
                (await http.get("/orders", headers={"X-API-Key": key})).status_code
                for _ in range(6)
            ]
            limited = await http.get("/orders", headers={"X-API-Key": key})

    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


def test_production_refuses_a_placeholder_token_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TOKEN_SECRETS"):
        make_app(tmp_path, environment="production", token_secrets="change-me")


def test_a_unit_principal_needs_its_unit() -> None:
    with pytest.raises(ValueError):
        Principal(subject="k", role=Role.UNIT)


def test_dev_credentials_cover_every_unit_and_channel(tmp_path: Path) -> None:
    from minsheng_common.reference import load_reference

    reference = load_reference()
    dev = provisioning.ensure_dev_credentials(tmp_path, reference)
    again = provisioning.ensure_dev_credentials(tmp_path, reference)

    assert again == dev
    assert {f"unit:{u.id}" for u in reference.units} <= dev.keys.keys()
    assert {f"channel:{c.id}" for c in reference.channels} <= dev.keys.keys()
    stored = registry.load(tmp_path / "credentials.json")
    assert all(k.secret_hash.startswith("sha256:") for k in stored.api_keys)
    assert all(
        dev.keys[name] not in (tmp_path / "credentials.json").read_text()
        for name in dev.keys
    )
    assert oct((tmp_path / "dev-credentials.json").stat().st_mode & 0o777) == "0o600"


async def test_password_guessing_on_one_account_is_limited(
    client: httpx.AsyncClient, credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Time stands still, so a slow password check on a busy machine refills no
    # attempt between the guesses.
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: 1000.0)
    provisioning.add_user(
        credentials, username="li", password="right-password-1", role=Role.OPERATOR
    )
    wrong = {"username": "li", "password": "wrong-password"}

    answers = [
        (await client.post("/v1/auth/token", data=wrong)).status_code for _ in range(11)
    ]
    right = await client.post(
        "/v1/auth/token", data={"username": "li", "password": "right-password-1"}
    )

    assert answers[:10] == [401] * 10
    assert answers[10] == 429
    assert right.status_code == 429


async def test_an_overlong_user_name_is_refused_without_keeping_anything(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    answer = await client.post(
        "/v1/auth/token", data={"username": "x" * 500_000, "password": "p"}
    )

    assert answer.status_code in (401, 413)


async def test_a_token_living_longer_than_issued_is_refused(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    provisioning.add_user(
        credentials, username="li", password="right-password-1", role=Role.OPERATOR
    )
    long_lived = TokenSigner([SECRET_A], lifetime=timedelta(days=3650)).issue(
        Principal(subject="li", role=Role.OPERATOR, via="token")
    )

    answer = await client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {long_lived}"}
    )

    assert answer.status_code == 401


async def test_a_role_change_applies_to_tokens_already_issued(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    token = await unit_user_token(client, credentials)
    provisioning.change_user(credentials, "li", role=Role.LEADER)
    await asyncio.sleep(1.1)

    answer = await client.get("/orders", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 403


async def test_the_session_cookie_counts_only_where_pages_are_served(
    client: httpx.AsyncClient, credentials: Path
) -> None:
    token = await unit_user_token(client, credentials)

    client.cookies.set("minsheng_session", token)
    answer = await client.get("/orders")

    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"role": Role.UNIT}, "unit_id"),
        ({"role": Role.CHANNEL}, "system role"),
        ({"password": "short"}, "at least"),
        ({"password": "aaaaaaaaaaaaaaa"}, "not all alike"),
    ],
)
def test_a_person_must_be_complete_and_have_a_real_password(
    credentials: Path, changes: dict[str, object], problem: str
) -> None:
    user: dict[str, object] = {
        "username": "li",
        "password": "right-password-1",
        "role": Role.OPERATOR,
    }
    user.update(changes)

    with pytest.raises(ValueError, match=problem):
        provisioning.add_user(credentials, **user)  # type: ignore[arg-type]


def test_the_command_disables_enables_and_removes_people(credentials: Path) -> None:
    from minsheng_common.auth.__main__ import main

    provisioning.add_user(
        credentials, username="li", password="right-password-1", role=Role.OPERATOR
    )

    main(["--file", str(credentials), "disable-user", "li"])
    disabled = registry.load(credentials).user("li")
    main(
        [
            "--file",
            str(credentials),
            "set-role",
            "li",
            "--role",
            "unit",
            "--unit",
            "swj",
        ]
    )
    moved = registry.load(credentials).user("li")
    main(["--file", str(credentials), "remove-user", "li"])

    assert disabled is not None and disabled.disabled
    assert moved is not None and (moved.role, moved.unit_id) == (Role.UNIT, "swj")
    assert registry.load(credentials).user("li") is None
    with pytest.raises(SystemExit):
        main(["--file", str(credentials), "set-role", "li", "--role", "unit"])


@pytest.mark.parametrize(
    "secret",
    [
        "a" * 40,
        "change-me-change-me-change-me-change-me",
        "placeholder-placeholder-placeholder-x",
    ],
)
def test_production_refuses_made_up_token_secrets(tmp_path: Path, secret: str) -> None:
    (tmp_path / "credentials.json").write_text("{}")

    with pytest.raises(ValueError, match="TOKEN_SECRETS"):
        make_app(tmp_path, environment="production", token_secrets=secret)


def test_production_refuses_a_credentials_file_that_is_not_a_file(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="credentials file"):
        make_app(
            tmp_path,
            environment="production",
            token_secrets="Zq8vN3kT0pL6xR1mW9yB4cF7hJ2dS5gA",
            credentials_file="/dev/null",
        )
