"""Who may call the knowledge base's routes, and the rule parameters they use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_intake.knowledge.service import KnowledgeParams

Keeper = Annotated[
    Principal, Depends(require(Scope.WORK_ORDERS_UNIT, Scope.ROUTING_MANAGE))
]
"""A unit (its own entries) or a center supervisor (every unit's)."""
Reader = Annotated[
    Principal, Depends(require(Scope.WORK_ORDERS_UNIT, Scope.APPEALS_READ))
]
"""Any unit or the center: entries are answers for citizens, with no personal data."""
CenterReader = Annotated[Principal, Depends(require(Scope.APPEALS_READ))]
"""The center only."""

ParamsAt = Callable[[datetime], KnowledgeParams]


def _params(request: Request) -> ParamsAt:
    """The knowledge base's rule parameters in force at a moment: the app's rule
    editions when it has set `app.state.knowledge_params`, the defaults otherwise."""
    given: ParamsAt | None = getattr(request.app.state, "knowledge_params", None)
    return given or _defaults


def _defaults(_at: datetime) -> KnowledgeParams:
    return KnowledgeParams()


Params = Annotated[ParamsAt, Depends(_params)]
