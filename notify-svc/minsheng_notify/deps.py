"""The types routes receive by injection: a store session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.runtime import ServiceRuntime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]
