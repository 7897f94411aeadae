"""The types routes receive by injection: a store session, the adapter's context and
the center operator calling (who runs replays and follows the items)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.adapters.routes import Operator as Operator
from minsheng_forum.service import ForumContext


def _context(request: Request) -> ForumContext:
    context: ForumContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[ForumContext, Depends(_context)]
