"""The types routes receive by injection: a store session and intake's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_common import web
from minsheng_intake.service import IntakeContext


def _context(request: Request) -> IntakeContext:
    context: IntakeContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[IntakeContext, Depends(_context)]
