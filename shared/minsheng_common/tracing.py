"""The trace id that follows one appeal from the HTTP request through every event."""

from __future__ import annotations

from contextvars import ContextVar

from minsheng_common.ids import new_id

current_trace_id: ContextVar[str | None] = ContextVar("current_trace_id", default=None)


def trace_id_or_new() -> str:
    return current_trace_id.get() or new_id()
