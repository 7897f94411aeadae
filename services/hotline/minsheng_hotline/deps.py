"""The types routes receive by injection: a store session, the adapter's context and
the center operator calling (who follows the items)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.adapters.routes import Operator as Operator
from minsheng_hotline.service import HotlineContext


def _context(request: Request) -> HotlineContext:
    context: HotlineContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[HotlineContext, Depends(_context)]
