"""The types routes receive by injection: a store session and SLA's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_sla.service import SlaContext


def _context(request: Request) -> SlaContext:
    context: SlaContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[SlaContext, Depends(_context)]
