"""The types routes receive by injection: a store session, the adapter's context and
the center operator calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_forum.service import ForumContext


def _context(request: Request) -> ForumContext:
    context: ForumContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[ForumContext, Depends(_context)]
Operator = Annotated[Principal, Depends(require(Scope.CHANNEL_OPERATE))]
"""A center operator or supervisor: runs replays and follows the items."""
