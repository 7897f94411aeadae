"""Where attachment contents are kept: a local folder, each file named by its
SHA-256.

Only a validated hex digest ever becomes a path: nothing a caller sends reaches the
file system otherwise. The other backend, a bucket of an S3-compatible store, is in
s3_store.py; the settings choose one (`attachment_store`).
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

DIGEST = re.compile(r"[0-9a-f]{64}")


def is_digest(value: str) -> bool:
    """Whether `value` is a SHA-256 in lower-case hex, as attachment ids are."""
    return DIGEST.fullmatch(value) is not None


class Store(Protocol):
    async def put(self, digest: str, content: bytes) -> None: ...

    async def path(self, digest: str) -> Path | None: ...


class LocalStore:
    """Files under `root`, two levels of folders by the digest's first characters
    (ab/cd/abcd…), written to a temporary name and renamed, so a reader never sees
    half a file and two uploads of one content end the same."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _where(self, digest: str) -> Path:
        if not is_digest(digest):
            raise ValueError("an attachment id is a SHA-256 in lower-case hex")
        return self.root / digest[:2] / digest[2:4] / digest

    async def put(self, digest: str, content: bytes) -> None:
        await asyncio.to_thread(self._put, digest, content)

    def _put(self, digest: str, content: bytes) -> None:
        target = self._where(digest)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def path(self, digest: str) -> Path | None:
        target = self._where(digest)
        exists = await asyncio.to_thread(target.is_file)
        return target if exists else None
