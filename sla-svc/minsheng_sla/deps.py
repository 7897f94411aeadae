"""The types routes receive by injection: a store session and SLA's context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.runtime import ServiceRuntime
from minsheng_sla.service import SlaContext


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessions() as session:
        yield session


def _context(request: Request) -> SlaContext:
    context: SlaContext = request.app.state.context
    return context


Session = Annotated[AsyncSession, Depends(_session)]
Context = Annotated[SlaContext, Depends(_context)]
