"""Idempotency keys: a request that changes an order may carry an `Idempotency-Key`
header, and the same key from the same caller gets the first answer again without
anything being done twice.

How it works: the first request with a key claims it (a row committed before the
work starts), does the work, then stores its answer in the row. A repeat finds the
row: the same request gets the stored answer (header `Idempotent-Replayed: true`); a
different request under the same key is refused (409 `idempotency_key_reused`); a
repeat arriving while the first is still running is told to try again (409
`idempotency_request_in_progress`). Only successful answers are kept: a refused
request releases its key, so the caller may send it again once the state allows.

A route uses it like this::

    async def route(..., principal: UnitClerk, idempotency: Idempotency):
        return await idempotency.run(principal, lambda: service.x(...))

If the process dies after the work committed and before the answer was stored, the
claim is taken over after `STALE_CLAIM`; the repeat then meets the state the first
request left (a transition refused with 409), never a second change.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import JSON, Index, Integer, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_common.auth.principal import Principal
from minsheng_common.clock import Clock
from minsheng_dispatch.errors import (
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
)
from minsheng_dispatch.models import Base

if TYPE_CHECKING:
    from minsheng_common.runtime import ServiceRuntime

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
STALE_CLAIM = timedelta(minutes=2)
PURGE_EVERY_SECONDS = 600.0
_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class IdempotencyKey(Base):
    """A caller's key, the fingerprint of its request, and the answer once given."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)

    caller: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


Sessions = async_sessionmaker[AsyncSession]


@dataclass
class IdempotentRequest:
    """One request, its key (if any) and the fingerprint of what it asks."""

    key: str | None
    fingerprint: str
    sessions: Sessions
    clock: Clock

    async def run(
        self,
        principal: Principal,
        action: Callable[[], Awaitable[BaseModel | Any]],
        *,
        session: AsyncSession,
        status_code: int = 200,
    ) -> JSONResponse:
        """Do `action` once per key and caller; answer with its result.

        `session` is the request's own session: when the action fails it is rolled
        back before the key is released, so nothing of the failed attempt stays
        (and, on SQLite, its write lock does not block the release).
        """
        if self.key is None:
            return JSONResponse(jsonable_encoder(await action()), status_code)

        caller = principal.label()
        replay = await self._claim(caller, self.key)
        if replay is not None:
            return replay
        try:
            result = await action()
        except BaseException:
            await asyncio.shield(self._give_up(session, caller))
            raise
        body = jsonable_encoder(result)
        await self._complete(caller, status_code=status_code, body=body)
        return JSONResponse(body, status_code)

    async def _give_up(self, session: AsyncSession, caller: str) -> None:
        await session.rollback()
        await self._release(caller)

    async def _claim(self, caller: str, key: str) -> JSONResponse | None:
        """Claim the key, or the answer a repeat gets (raises when refused)."""
        now = self.clock.now()
        async with self.sessions() as session:
            found = await session.get(IdempotencyKey, (caller, key))
            if found is None:
                session.add(
                    IdempotencyKey(
                        caller=caller,
                        key=key,
                        fingerprint=self.fingerprint,
                        created_at=now,
                    )
                )
                try:
                    await session.commit()
                    return None
                except IntegrityError:
                    await session.rollback()
                    found = await session.get(IdempotencyKey, (caller, key))
                    if found is None:
                        raise
            if (
                found.fingerprint == self.fingerprint
                and found.completed_at is None
                and found.created_at <= now - STALE_CLAIM
                and await self._take_over(session, found, now)
            ):
                return None
            return self._answer(found, caller)

    async def _take_over(
        self, session: AsyncSession, found: IdempotencyKey, now: datetime
    ) -> bool:
        result = await session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.caller == found.caller,
                IdempotencyKey.key == found.key,
                IdempotencyKey.created_at == found.created_at,
                IdempotencyKey.completed_at.is_(None),
            )
            .values(created_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        taken = int(getattr(result, "rowcount", 0)) == 1
        if taken:
            log.warning(
                "idempotency key of %s claimed at %s never completed; taken over",
                found.caller,
                found.created_at.isoformat(),
            )
        return taken

    def _answer(self, found: IdempotencyKey, caller: str) -> JSONResponse:
        if found.fingerprint != self.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for another request; use a new key "
                "for each request",
                field=HEADER,
            )
        if found.completed_at is None or found.status_code is None:
            raise IdempotencyRequestInProgress(
                "the first request with this Idempotency-Key is still being "
                "handled; try again shortly",
                field=HEADER,
            )
        log.info("request of %s repeated under its idempotency key; replayed", caller)
        return JSONResponse(
            found.body, found.status_code, headers={REPLAYED_HEADER: "true"}
        )

    async def _complete(self, caller: str, *, status_code: int, body: Any) -> None:
        async with self.sessions() as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.caller == caller, IdempotencyKey.key == self.key)
                .values(
                    status_code=status_code,
                    body=body,
                    completed_at=self.clock.now(),
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def _release(self, caller: str) -> None:
        async with self.sessions() as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.caller == caller,
                    IdempotencyKey.key == self.key,
                    IdempotencyKey.completed_at.is_(None),
                )
            )
            await session.commit()


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What a request asks, as a digest: method, path and body (JSON compared by
    content, not by spacing or key order)."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode("utf-8"), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _idempotent_request(request: Request) -> IdempotentRequest:
    key = request.headers.get(HEADER)
    if key is not None and not _KEY.fullmatch(key):
        raise IdempotencyKeyInvalid(
            "an Idempotency-Key is 1 to 128 letters, digits or . _ : -",
            field=HEADER,
        )
    runtime: ServiceRuntime = request.app.state.runtime
    return IdempotentRequest(
        key=key,
        fingerprint=fingerprint(request.method, request.url.path, await request.body()),
        sessions=runtime.sessions,
        clock=runtime.clock,
    )


Idempotency = Annotated[IdempotentRequest, Depends(_idempotent_request)]
"""The request's idempotency key, for a route that changes an order."""


async def purge_expired_keys(runtime: ServiceRuntime) -> None:
    """Background loop: forget keys older than the retention
    (`idempotency_retention_hours`)."""
    hours = float(getattr(runtime.settings, "idempotency_retention_hours", 72))
    while True:
        cutoff = runtime.clock.now() - timedelta(hours=hours)
        async with runtime.sessions() as session:
            result = await session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)
            )
            await session.commit()
        removed = int(getattr(result, "rowcount", 0))
        if removed:
            log.info("forgot %d idempotency keys older than %s h", removed, hours)
        await asyncio.sleep(PURGE_EVERY_SECONDS)
