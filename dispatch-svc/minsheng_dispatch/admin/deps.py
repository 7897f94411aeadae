"""What the administration's routes receive by injection: its context, the
lifecycle's dispatch function for the queue, and callers holding the right scopes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.reference import load_reference
from minsheng_dispatch.admin import context as admin_context
from minsheng_dispatch.admin.context import AdminContext, ChosenDispatch


def _context(request: Request) -> AdminContext:
    """Built once per application from dispatch's context and settings."""
    state = request.app.state
    made: AdminContext | None = getattr(state, "admin_context", None)
    if made is None:
        dispatch = state.context
        made = admin_context.build(
            clock=dispatch.clock,
            rule_book=dispatch.rule_book,
            fallback_unit_id=dispatch.fallback_unit_id,
            reference=load_reference(state.runtime.settings.reference_file),
        )
        state.admin_context = made
    return made


def _dispatcher(request: Request) -> ChosenDispatch | None:
    """The lifecycle's function that makes an order for a chosen unit, set by the
    application as `app.state.dispatch_chosen`."""
    found: ChosenDispatch | None = getattr(request.app.state, "dispatch_chosen", None)
    return found


Session = web.StoreSession
Context = Annotated[AdminContext, Depends(_context)]
Dispatcher = Annotated[ChosenDispatch | None, Depends(_dispatcher)]

RoutingManager = Annotated[Principal, Depends(require(Scope.ROUTING_MANAGE))]
"""A center supervisor changing the routing table, units, categories or projects."""

RoutingReader = Annotated[Principal, Depends(require(Scope.ROUTING_READ))]
"""The center reading the routing table and its history."""

RegistryReader = Annotated[
    Principal,
    Depends(
        require(Scope.WORK_ORDERS_UNIT, Scope.WORK_ORDERS_READ, Scope.ROUTING_READ)
    ),
]
"""Anyone who works with units and categories: unit systems, center roles."""

ProjectReader = Annotated[
    Principal, Depends(require(Scope.ROUTING_READ, Scope.WORK_ORDERS_UNIT))
]
"""The center (every project) or a unit (its own projects, without contacts)."""

ProjectFiler = Annotated[
    Principal, Depends(require(Scope.ROUTING_MANAGE, Scope.WORK_ORDERS_UNIT))
]
"""The center (any project) or the unit in charge (its own, Art. 43)."""

QueueReader = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_READ))]
"""The center's operators reading the dispatch queue."""

QueueOperator = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""An operator dispatching from the queue."""
