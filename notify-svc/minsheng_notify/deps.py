"""The types routes receive by injection: a store session."""

from __future__ import annotations

from minsheng_common import web

Session = web.StoreSession
