"""The types routes receive by injection: a store session, dispatch's context, and
the caller, authenticated and holding one of the scopes the route needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_dispatch.service import DispatchContext


def _context(request: Request) -> DispatchContext:
    context: DispatchContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[DispatchContext, Depends(_context)]

UnitsReader = Annotated[
    Principal,
    Depends(
        require(Scope.WORK_ORDERS_UNIT, Scope.WORK_ORDERS_READ, Scope.ROUTING_READ)
    ),
]
"""Anyone who works with units: unit systems, center roles."""

OrdersReader = Annotated[
    Principal, Depends(require(Scope.WORK_ORDERS_READ, Scope.WORK_ORDERS_UNIT))
]
"""A center role (every unit's orders) or a unit (its own orders only)."""

UnitClerk = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_UNIT))]
"""A unit acting on its own orders: signing, acceptance notices."""

RoutingReader = Annotated[Principal, Depends(require(Scope.ROUTING_READ))]
