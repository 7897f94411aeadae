"""The types routes receive by injection: a store session, intake's context, and the
caller with the scopes each route needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_intake.context import IntakeContext
from minsheng_intake.status import WrongTries


def _context(request: Request) -> IntakeContext:
    context: IntakeContext = request.app.state.context
    return context


def _wrong_tries(request: Request) -> WrongTries:
    limiter: WrongTries = request.app.state.status_wrong_tries
    return limiter


Session = web.StoreSession
Context = Annotated[IntakeContext, Depends(_context)]
StatusLimiter = Annotated[WrongTries, Depends(_wrong_tries)]

Submitter = Annotated[Principal, Depends(require(Scope.APPEALS_SUBMIT))]
"""A channel (for its own channel) or the center."""
Reader = Annotated[
    Principal,
    Depends(
        require(Scope.APPEALS_READ, Scope.APPEALS_READ_UNIT, Scope.APPEALS_READ_OWN)
    ),
]
"""The center, a unit (its own appeals) or a channel (its own submissions' status)."""
CenterReader = Annotated[Principal, Depends(require(Scope.APPEALS_READ))]
"""The center only."""
Discloser = Annotated[Principal, Depends(require(Scope.CONTACT_DISCLOSE))]
"""The center, or a unit for its own appeal when the citizen consented."""
Operator = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator steering appeals: verification outcomes, grades."""
RulesManager = Annotated[Principal, Depends(require(Scope.ROUTING_MANAGE))]
"""A center supervisor: edits the grading rules."""
