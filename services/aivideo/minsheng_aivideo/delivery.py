"""Appeals delivered to intake by the loop every adapter shares
(`minsheng_common.adapters.delivery`): in order per camera, exactly once per first
detection id, with the adapter's own key (AIVIDEO_INTAKE_API_KEY)."""

from __future__ import annotations

import asyncio
import logging

from minsheng_aivideo.models import VideoAppeal
from minsheng_common.adapters.delivery import Delivery

log = logging.getLogger(__name__)


def describe(item: VideoAppeal) -> str:
    """How logs name an item: its id, the camera, the kind and the detection."""
    return (
        f"video appeal {item.id} ({item.kind} at camera {item.source}, "
        f"detection {item.first_detection_id})"
    )


def make(wake: asyncio.Event) -> Delivery:
    """The adapter's delivery, woken by `wake` when a detection opens an appeal."""
    return Delivery(model=VideoAppeal, log=log, describe=describe, wake=wake)
