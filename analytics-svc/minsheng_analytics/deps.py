"""The types routes receive by injection: a store session and analytics' context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_analytics.service import AnalyticsContext
from minsheng_common import web


def _context(request: Request) -> AnalyticsContext:
    context: AnalyticsContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[AnalyticsContext, Depends(_context)]
