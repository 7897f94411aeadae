"""The types routes receive by injection: a store session, the adapter's context,
the center operator calling (who follows the appeals and detections), and whoever
may open a snapshot."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from minsheng_aivideo.service import VideoContext
from minsheng_common import web
from minsheng_common.adapters import kept_files
from minsheng_common.adapters.routes import Operator as Operator


def _context(request: Request) -> VideoContext:
    context: VideoContext = request.app.state.context
    return context


Session = web.StoreSession
Context = Annotated[VideoContext, Depends(_context)]
SnapshotReader = kept_files.Reader
