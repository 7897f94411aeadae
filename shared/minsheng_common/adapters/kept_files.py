"""Files an adapter keeps by their SHA-256 (a citizen's picture, a camera's
snapshot, a mail's attachment) and serves at `<sha256>.<ending>`: that URL is the
attachment intake receives, since intake takes attachments as references to files.

The mixins give each adapter's own table the same columns; the lookup and the
response are the same for every adapter, while the error for a missing file stays
the adapter's own (its code names what it keeps)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Response
from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope

CACHE_CONTROL = "private, max-age=86400"
"""A kept file never changes under its name, but it is a citizen's: no shared
cache keeps it."""

Reader = Annotated[
    Principal,
    Depends(
        require(Scope.APPEALS_READ, Scope.APPEALS_READ_UNIT, Scope.CHANNEL_OPERATE)
    ),
]
"""The center, and a unit's system or clerk reading an appeal's attachment."""


class KeptFile:
    """A file's content, kept by its SHA-256 (a mixin for an adapter's table)."""

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    ending: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class KeptPicture(KeptFile):
    """A fetched picture, with the content type its first bytes told."""

    content_type: Mapped[str] = mapped_column(String(50))
    fetched_at: Mapped[datetime]


Kept = TypeVar("Kept", bound=KeptFile)


async def named(session: AsyncSession, model: type[Kept], name: str) -> Kept | None:
    """The file kept as `name` (`<sha256>.<ending>`, checked by the route's
    pattern), or None when no file has that digest and ending."""
    digest, ending = name.split(".", 1)
    kept = await session.get(model, digest)
    return kept if kept is not None and kept.ending == ending else None


def picture_response(kept: KeptPicture) -> Response:
    """A kept picture as served, with the content type its first bytes told."""
    return Response(
        content=kept.content,
        media_type=kept.content_type,
        headers={"Cache-Control": CACHE_CONTROL},
    )
