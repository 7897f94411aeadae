"""Call records delivered to intake by the loop every adapter shares
(`minsheng_common.adapters.delivery`): in order per line, exactly once per call id,
each with its line's key (HOTLINE_INTAKE_API_KEYS)."""

from __future__ import annotations

import asyncio
import logging

from minsheng_common.adapters.delivery import Delivery
from minsheng_hotline.models import HotlineCall

log = logging.getLogger(__name__)


def describe(item: HotlineCall) -> str:
    """How logs name an item: its id, the line and the call id, never the caller."""
    return f"hotline item {item.id} (call {item.call_id} of line {item.source})"


def make(wake: asyncio.Event) -> Delivery:
    """The hotline's delivery, woken by `wake` when a record is stored."""
    return Delivery(model=HotlineCall, log=log, describe=describe, wake=wake)
