"""Attachment contents in a bucket of an S3-compatible store (AWS S3, MinIO, Ceph…),
each object named by the content's SHA-256 as LocalStore names its files.

The keys follow LocalStore's layout (ab/cd/abcd…) under an optional prefix, so a
local attachments folder copied into the bucket is found as it was. A fetched
content is checked against its name and kept in a local read-through cache, since
the API answers with a file; contents never change, so the cache is never stale.

boto3 blocks, so every call runs in a thread. A store that refuses or cannot be
reached answers 503 `attachment_store_unavailable`, never a 500.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from minsheng_common.errors import Unavailable
from minsheng_dispatch.attachments.store import LocalStore, is_digest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# What S3-compatible stores answer for an object that is not there (HEAD has no
# body, so only its status).
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})

# Few retries and short waits: an upload or a fetch waits for this, and a store
# that is down should answer 503 soon rather than hold the request.
_CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"max_attempts": 2, "mode": "standard"},
    s3={"addressing_style": "path"},
)


class AttachmentStoreUnavailable(Unavailable):
    """The attachment store refused the request (credentials, bucket, permissions)
    or could not be reached; trying again later may succeed."""

    code = "attachment_store_unavailable"


def make_client(
    *,
    endpoint_url: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
) -> S3Client:
    """An S3 client with only the credentials given: no other source (environment,
    profile, instance metadata) is consulted."""
    session = boto3.session.Session(
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        region_name=region,
    )
    return session.client("s3", endpoint_url=endpoint_url, config=_CLIENT_CONFIG)


class S3Store:
    """Objects in `bucket` under `prefix`, with fetched contents cached under
    `cache`."""

    def __init__(
        self, client: S3Client, *, bucket: str, prefix: str, cache: Path
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.cache = LocalStore(cache)

    def key(self, digest: str) -> str:
        if not is_digest(digest):
            raise ValueError("an attachment id is a SHA-256 in lower-case hex")
        name = f"{digest[:2]}/{digest[2:4]}/{digest}"
        return f"{self.prefix}/{name}" if self.prefix else name

    async def put(self, digest: str, content: bytes) -> None:
        key = self.key(digest)
        await asyncio.to_thread(self._put, key, content)

    def _put(self, key: str, content: bytes) -> None:
        # A content already kept is not sent again: the same file uploaded twice
        # stays one object.
        if self._exists(key):
            return

        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=content)
        except (ClientError, BotoCoreError) as error:
            raise self._refused("storing", key, error) from error
        log.info("attachment object %s stored in bucket %s", key, self.bucket)

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _MISSING:
                return False
            raise self._refused("looking up", key, error) from error
        except BotoCoreError as error:
            raise self._refused("looking up", key, error) from error
        return True

    async def path(self, digest: str) -> Path | None:
        cached = await self.cache.path(digest)
        if cached is not None:
            return cached

        content = await asyncio.to_thread(self._get, self.key(digest))
        if content is None:
            return None

        if hashlib.sha256(content).hexdigest() != digest:
            # Served as missing rather than as what it is not; the API logs it.
            log.error(
                "attachment object %s in bucket %s does not match its name",
                self.key(digest),
                self.bucket,
            )
            return None
        await self.cache.put(digest, content)
        return await self.cache.path(digest)

    def _get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            content: bytes = answer["Body"].read()
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise self._refused("fetching", key, error) from error
        except BotoCoreError as error:
            raise self._refused("fetching", key, error) from error
        return content

    def _refused(
        self, doing: str, key: str, error: Exception
    ) -> AttachmentStoreUnavailable:
        reason = _reason(error)
        log.error(
            "attachment store refused %s %s in bucket %s: %s",
            doing,
            key,
            self.bucket,
            reason,
        )
        return AttachmentStoreUnavailable(
            f"the attachment store is unavailable ({reason}); try again later"
        )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reason(error: Exception) -> str:
    # An answer to HEAD has no body, so only its status tells (403: the keys or the
    # bucket's permissions); otherwise the store's code, or why it was not reached.
    if not isinstance(error, ClientError):
        return type(error).__name__
    code = _code(error)
    return f"HTTP {code}" if code.isdigit() else code or "unknown error"
