"""Attachments kept in an S3-compatible bucket: a real S3 server (moto's) on
127.0.0.1, dispatch's API in front of it. Objects are named by the content's
SHA-256, kept once, fetched back as uploaded; a missing object is 404, a store that
refuses is 503 in the project's error shape."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from moto.server import ThreadedMotoServer
from pydantic import ValidationError

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.devstack.broker import free_port
from minsheng_dispatch.app import create_app
from minsheng_dispatch.attachments.s3_store import make_client
from minsheng_dispatch.settings import DispatchSettings

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"photo" * 40
PDF = b"%PDF-1.7\n" + b"notice" * 40
KEY_ID = "test-key-id"
SECRET = "test-secret"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    return make_client(
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"attachments-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@dataclass
class Dispatch:
    center: httpx.AsyncClient
    cgj: httpx.AsyncClient


async def running(
    stack: AsyncExitStack, tmp_path: Path, **s3_settings: Any
) -> Dispatch:
    """Dispatch on SQLite with no broker and the S3 store configured as given."""
    settings = DispatchSettings(
        database_url=f"sqlite:///{tmp_path / 'dispatch.db'}",
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        attachment_store="s3",
        attachment_max_bytes=64 * 1024,
        **s3_settings,
    )
    path = settings.credentials_path()
    operator = add_key(path, name="operator", role=Role.OPERATOR)
    cgj = add_key(path, name="cgj", role=Role.UNIT, unit_id="cgj")
    app = create_app(settings)
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)

    async def client(key: str) -> httpx.AsyncClient:
        made = httpx.AsyncClient(
            transport=transport, base_url="http://dispatch", headers={"X-API-Key": key}
        )
        return await stack.enter_async_context(made)

    return Dispatch(center=await client(operator), cgj=await client(cgj))


def s3_settings(endpoint: str, bucket: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "attachment_s3_endpoint_url": endpoint,
        "attachment_s3_bucket": bucket,
        "attachment_s3_access_key_id": KEY_ID,
        "attachment_s3_secret_access_key": SECRET,
        "attachment_s3_prefix": "minsheng/attachments/",
    }
    values.update(changes)
    return values


@pytest.fixture
async def dispatch(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> AsyncIterator[Dispatch]:
    async with AsyncExitStack() as stack:
        yield await running(stack, tmp_path, **s3_settings(s3_endpoint, bucket))


def key_of(content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    return f"minsheng/attachments/{digest[:2]}/{digest[2:4]}/{digest}"


async def upload(client: httpx.AsyncClient, content: bytes, name: str) -> Any:
    return await client.post("/v1/attachments", files={"file": (name, content)})


async def test_dispatch_s3_upload_lands_in_the_bucket_under_its_hash(
    dispatch: Dispatch, s3: Any, bucket: str
) -> None:
    response = await upload(dispatch.cgj, JPEG, "before.jpg")

    assert response.status_code == 201, response.text
    assert response.json()["id"] == hashlib.sha256(JPEG).hexdigest()
    kept = s3.get_object(Bucket=bucket, Key=key_of(JPEG))["Body"].read()
    assert kept == JPEG


async def test_dispatch_s3_fetch_returns_the_same_bytes_and_type(
    dispatch: Dispatch,
) -> None:
    photo = (await upload(dispatch.cgj, JPEG, "before.jpg")).json()["id"]
    document = (await upload(dispatch.cgj, PDF, "notice.pdf")).json()["id"]

    for attachment_id, content, content_type in [
        (photo, JPEG, "image/jpeg"),
        (document, PDF, "application/pdf"),
    ]:
        for client in (dispatch.cgj, dispatch.center):
            response = await client.get(f"/v1/attachments/{attachment_id}")
            assert response.status_code == 200, response.text
            assert response.content == content
            assert response.headers["content-type"] == content_type


async def test_dispatch_s3_the_same_file_twice_is_one_object(
    dispatch: Dispatch, s3: Any, bucket: str
) -> None:
    first = await upload(dispatch.cgj, JPEG, "a.jpg")
    second = await upload(dispatch.center, JPEG, "b.jpg")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in listed["Contents"]] == [key_of(JPEG)]


async def test_dispatch_s3_a_missing_object_reads_as_404(
    dispatch: Dispatch, s3: Any, bucket: str
) -> None:
    attachment_id = (await upload(dispatch.cgj, JPEG, "before.jpg")).json()["id"]
    s3.delete_object(Bucket=bucket, Key=key_of(JPEG))

    response = await dispatch.center.get(f"/v1/attachments/{attachment_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "attachment_not_found"


async def test_dispatch_s3_a_missing_bucket_answers_503(
    tmp_path: Path, s3_endpoint: str
) -> None:
    settings = s3_settings(s3_endpoint, f"absent-{uuid.uuid4().hex[:12]}")
    async with AsyncExitStack() as stack:
        dispatch = await running(stack, tmp_path, **settings)

        response = await upload(dispatch.cgj, JPEG, "before.jpg")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "attachment_store_unavailable"
    assert "NoSuchBucket" in error["message"]


@pytest.fixture
def signatures_checked(s3_endpoint: str, bucket: str) -> Iterator[None]:
    """moto checks signatures only once asked to; the test keys were never created
    in its IAM, so from then on every call is refused (the bucket exists before)."""
    reset = f"{s3_endpoint}/moto-api/reset-auth"
    httpx.post(reset, content=b"0").raise_for_status()
    yield
    httpx.post(reset, content=b"inf").raise_for_status()


@pytest.mark.usefixtures("signatures_checked")
async def test_dispatch_s3_wrong_credentials_answer_503(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    async with AsyncExitStack() as stack:
        dispatch = await running(stack, tmp_path, **s3_settings(s3_endpoint, bucket))

        response = await upload(dispatch.cgj, JPEG, "before.jpg")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "attachment_store_unavailable"
    assert "HTTP 403" in error["message"]
    assert SECRET not in response.text


async def test_dispatch_s3_an_unreachable_store_answers_503(
    tmp_path: Path, bucket: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with AsyncExitStack() as stack:
        dispatch = await running(stack, tmp_path, **s3_settings(closed, bucket))

        response = await upload(dispatch.cgj, JPEG, "before.jpg")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "attachment_store_unavailable"
    assert "EndpointConnectionError" in error["message"]


def test_dispatch_s3_settings_need_endpoint_bucket_and_keys(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="attachment_s3_bucket"):
        DispatchSettings(
            data_dir=tmp_path,
            attachment_store="s3",
            attachment_s3_endpoint_url="http://127.0.0.1:9000",
            attachment_s3_access_key_id=KEY_ID,
            attachment_s3_secret_access_key=SECRET,
        )
