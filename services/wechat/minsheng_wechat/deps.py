"""The types routes receive by injection: a store session, the adapter's context,
the center operator calling (who follows the appeals and messages), and whoever may
open a picture."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_common.adapters import kept_files
from minsheng_common.adapters.routes import Operator as Operator
from minsheng_wechat.service import WechatContext


def _context(request: Request) -> WechatContext:
    context: WechatContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[WechatContext, Depends(_context)]
PhotoReader = kept_files.Reader
