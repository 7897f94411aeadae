"""The types routes receive by injection: a store session, SLA's context, and the
caller, authenticated and holding one of the scopes the route needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_sla.service import SlaContext


def _context(request: Request) -> SlaContext:
    context: SlaContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[SlaContext, Depends(_context)]

DeadlinesReader = Annotated[
    Principal, Depends(require(Scope.DEADLINES_READ, Scope.DEADLINES_UNIT))
]
"""A center role (every unit's clocks) or a unit (its own work orders' only)."""

CalendarReader = Annotated[Principal, Depends(require(Scope.CALENDAR_READ))]
