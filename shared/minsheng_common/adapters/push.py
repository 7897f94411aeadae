"""Taking what a channel pushes: verify the signature, read the body, and store the
item once however often the channel sends it.

A push is taken only with a valid HMAC of its timestamp and raw body (see
`minsheng_common.auth.webhooks`), signed within the window of the real clock (the
channel signs with its own clock, not the demo one), and never seen before. The
channel's own reference is the idempotency key: the same reference pushed again (a
retry with a new signature) answers its first item.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.adapters import receipts
from minsheng_common.adapters.errors import WebhookNotConfigured
from minsheng_common.auth import webhooks
from minsheng_common.errors import InvalidInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pushed:
    """A pushed request as its signature is checked: the raw body, the timestamp
    and signature headers, and the real time it arrived (the channel signs with
    its own clock, never the demo clock)."""

    body: bytes
    timestamp: str | None
    signature: str | None
    now: datetime


async def _pushed(
    request: Request,
    timestamp: Annotated[
        str | None,
        Header(alias=webhooks.TIMESTAMP_HEADER, description="Unix seconds"),
    ] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=webhooks.SIGNATURE_HEADER,
            description='"sha256=" and the hex HMAC-SHA256 of "<timestamp>.<raw body>"',
        ),
    ] = None,
) -> Pushed:
    return Pushed(
        body=await request.body(),
        timestamp=timestamp,
        signature=signature,
        now=datetime.now(UTC),
    )


Push = Annotated[Pushed, Depends(_pushed)]
"""A push route's request, read raw so its signature can be checked."""

Body = TypeVar("Body", bound=BaseModel)
Item = TypeVar("Item")


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI text of a push route whose body is read raw (to check its
    signature) but has the shape of `model`."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def verify(pushed: Pushed, *, secrets: Sequence[str], setting: str) -> str:
    """The signature (the replay key) of a correctly signed push, or the error:
    503 when no secret is set (`setting` names where to set it), 401 when the
    signature is missing, wrong or made outside the window."""
    if not secrets:
        raise WebhookNotConfigured(f"pushes are not taken: {setting} is not set")
    return webhooks.verify(
        secrets=secrets,
        timestamp=pushed.timestamp,
        signature=pushed.signature,
        body=pushed.body,
        now=pushed.now,
    )


def parse(model: type[Body], body: bytes, *, error: type[InvalidInput]) -> Body:
    """The body read as `model`; `error` (422) naming the first field at fault."""
    try:
        return model.model_validate_json(body)
    except ValidationError as problems:
        problem = problems.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise error(f"{where}: {problem['msg']}", field=where) from None


@dataclass(frozen=True)
class Stored(Generic[Item]):
    """What a push stored, or what an earlier push of the same reference stored."""

    item: Item
    duplicate: bool


async def store_once(
    session: AsyncSession,
    *,
    receipt: type[receipts.Receipt],
    signature: str,
    now: datetime,
    what: str,
    find: Callable[[AsyncSession], Awaitable[Item | None]],
    create: Callable[[AsyncSession], Awaitable[Item]],
) -> Stored[Item]:
    """Record the signature, then answer the earlier item of the same reference
    (`find`) or store a new one (`create`), in one transaction. `what` names the
    push in logs (an id, never personal data)."""
    await receipts.record(
        session, receipt, signature, received_at=now, what=f"pushed {what}"
    )

    earlier = await find(session)
    if earlier is not None:
        await session.commit()
        log.info("pushed %s again: answered with its first item", what)
        return Stored(earlier, duplicate=True)

    try:
        item = await create(session)
        await session.commit()
    except IntegrityError:
        # The same reference pushed twice at once: the other push stored it. The
        # rollback took this request's receipt with it; it is kept again, so the
        # same signed request sent once more is still a replay.
        await session.rollback()
        stored = await find(session)
        if stored is None:
            raise
        await receipts.record(
            session, receipt, signature, received_at=now, what=f"pushed {what}"
        )
        await session.commit()
        return Stored(stored, duplicate=True)
    return Stored(item, duplicate=False)


def signed_headers(secret: str, body: bytes, *, at: datetime) -> dict[str, str]:
    """The headers a channel sends with `body` signed at `at`: what a channel's
    system does, and what tests and demonstrations do in its place."""
    timestamp = int(at.timestamp())
    return {
        "Content-Type": "application/json",
        webhooks.TIMESTAMP_HEADER: str(timestamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(secret, timestamp, body),
    }
