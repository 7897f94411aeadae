"""The types routes receive by injection: a store session, and the caller,
authenticated and holding one of the scopes the route needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from minsheng_common import web
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope

Session = web.StoreSession

NoticesReader = Annotated[
    Principal, Depends(require(Scope.NOTICES_READ, Scope.NOTICES_UNIT))
]
"""A center role (every notice) or a unit (the notices of its own work orders)."""

CallRecorder = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator, who records the calls staff made (Art. 36)."""
