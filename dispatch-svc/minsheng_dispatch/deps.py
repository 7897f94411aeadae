"""The types routes receive by injection: a store session and dispatch's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_dispatch.service import DispatchContext


def _context(request: Request) -> DispatchContext:
    context: DispatchContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[DispatchContext, Depends(_context)]
