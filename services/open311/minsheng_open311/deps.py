"""The types routes receive by injection: a store session, the server's context,
the suite's authentication and the reader of a GeoReport v2 query."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from minsheng_common import web
from minsheng_common.auth.api import AuthContext
from minsheng_open311 import access
from minsheng_open311.queries import given
from minsheng_open311.service import Open311Context


def _context(request: Request) -> Open311Context:
    context: Open311Context = request.app.state.context
    return context


def _auth(request: Request) -> AuthContext:
    auth: AuthContext = request.app.state.auth
    return auth


def _reader(
    request: Request,
    api_key: Annotated[
        str | None,
        Query(description="a 311 client's key: it then also sees what it filed"),
    ] = None,
    header_key: Annotated[str | None, Header(alias="X-API-Key")] = None,
) -> str | None:
    address = request.client.host if request.client else "unknown"
    return access.viewer(
        _auth(request),
        _context(request),
        given(header_key) or given(api_key),
        address=address,
    )


Session = web.StoreSession
Context = Annotated[Open311Context, Depends(_context)]
Auth = Annotated[AuthContext, Depends(_auth)]
Reader = Annotated[str | None, Depends(_reader)]
"""The client reading with its key, or None for anyone else."""
