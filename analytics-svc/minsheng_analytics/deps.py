"""The types routes receive by injection: a store session and analytics' context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics.service import AnalyticsContext
from minsheng_common.runtime import ServiceRuntime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessions() as session:
        yield session


def _context(request: Request) -> AnalyticsContext:
    context: AnalyticsContext = request.app.state.context
    return context


Session = Annotated[AsyncSession, Depends(_session)]
Context = Annotated[AnalyticsContext, Depends(_context)]
