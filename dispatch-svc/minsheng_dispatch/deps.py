"""The types routes receive by injection: a store session and dispatch's context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.runtime import ServiceRuntime
from minsheng_dispatch.service import DispatchContext


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessions() as session:
        yield session


def _context(request: Request) -> DispatchContext:
    context: DispatchContext = request.app.state.context
    return context


Session = Annotated[AsyncSession, Depends(_session)]
Context = Annotated[DispatchContext, Depends(_context)]
