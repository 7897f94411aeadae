"""The types routes receive by injection: a store session and the adapter's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_forum.service import ForumContext


def _context(request: Request) -> ForumContext:
    context: ForumContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[ForumContext, Depends(_context)]
