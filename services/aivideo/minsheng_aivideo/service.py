"""Taking a detection the video platform pushes (POST /v1/detections).

A detection is taken as every adapter takes a push
(`minsheng_common.adapters.push`): a valid HMAC-SHA256 of its timestamp and raw
body, made within the window of the real clock, and never seen before. The
detection id is the idempotency key.

A detection below AIVIDEO_MIN_CONFIDENCE is recorded as ignored: no snapshot is
fetched and nothing reaches intake. Any other has its snapshot fetched first (see
`snapshots`), then, in one transaction:

- it folds into the appeal of its camera and kind whose first detection is less
  than the window (AIVIDEO_FOLD_WINDOW_MINUTES) before or after it: the appeal
  counts it and intake hears nothing more, so one vendor seen all evening is one
  complaint per window, not one a minute;
- otherwise it opens a new appeal, queued for intake with its snapshot attached.

Two detections of one camera and kind deciding at once take turns (the watch row,
and the service's own lock on SQLite), so they never both open an appeal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_aivideo import mapping, repository
from minsheng_aivideo.errors import InvalidDetection
from minsheng_aivideo.models import VideoAppeal, VideoDetection, WebhookReceipt
from minsheng_aivideo.schemas import Detection, DetectionAccepted, Outcome
from minsheng_aivideo.snapshots import Fetcher, Picture
from minsheng_common.adapters import push, queue
from minsheng_common.adapters.schemas import CanonicalAppeal, Contact, Coordinates
from minsheng_common.auth import webhooks
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.clock import Clock
from minsheng_common.text import strip_invisible
from minsheng_common.timeutil import SHANGHAI, as_utc, format_local

log = logging.getLogger(__name__)

PUSH_BUDGET = "platform"
"""One budget for the video platform, whichever camera."""


@dataclass(frozen=True)
class VideoContext:
    """What the push route and the delivery loop share besides the store."""

    clock: Clock
    channel: str
    webhook_secrets: tuple[str, ...]
    fetcher: Fetcher
    snapshot_base_url: str
    contact: Contact | None
    min_confidence: float
    fold_window: timedelta
    push_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(per_minute=600)
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    fold_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def snapshot_url(self, name: str) -> str:
        return f"{self.snapshot_base_url}/v1/snapshots/{name}"


async def receive(
    *, session: AsyncSession, context: VideoContext, pushed: push.Pushed
) -> DetectionAccepted:
    """Verify a pushed detection and record it: ignored, folded or a new appeal."""
    verified = push.verify(
        pushed, secrets=context.webhook_secrets, setting="AIVIDEO_WEBHOOK_SECRETS"
    )
    detection = _parse(pushed.body, pushed.now)
    context.push_limiter.check(PUSH_BUDGET)

    confident = detection.confidence >= context.min_confidence
    # Fetched before the transaction: no store transaction waits on the network.
    picture = (
        await context.fetcher.fetch(
            detection.snapshot_url, detection_id=detection.detection_id
        )
        if confident
        else None
    )

    async def find(session: AsyncSession) -> VideoDetection | None:
        return await repository.detection_of(session, detection.detection_id)

    async def create(session: AsyncSession) -> VideoDetection:
        return await _record(session, context, detection, picture)

    turn = context.fold_lock if confident else contextlib.nullcontext()
    async with turn:
        stored = await push.store_once(
            session,
            receipt=WebhookReceipt,
            signature=verified,
            now=pushed.now,
            what=f"detection {detection.detection_id}",
            find=find,
            create=create,
        )
    row = stored.item
    if not stored.duplicate and row.outcome == "opened":
        context.wake.set()
    return DetectionAccepted(
        detection_id=row.detection_id,
        outcome=cast(Outcome, row.outcome),
        appeal_item=row.appeal_item_id,
        duplicate=stored.duplicate,
    )


def _parse(body: bytes, now: datetime) -> Detection:
    detection = push.parse(Detection, body, error=InvalidDetection)
    if as_utc(detection.detected_at) > now + webhooks.WINDOW:
        raise InvalidDetection(
            "detected_at is in the future; check the platform's clock",
            field="detected_at",
        )
    address = strip_invisible(detection.address or "").strip() or None
    return detection.model_copy(update={"address": address})


async def _record(
    session: AsyncSession,
    context: VideoContext,
    detection: Detection,
    picture: Picture | None,
) -> VideoDetection:
    now = context.clock.now()
    row = VideoDetection(
        detection_id=detection.detection_id,
        camera_id=detection.camera_id,
        kind=detection.kind,
        confidence=detection.confidence,
        detected_at=as_utc(detection.detected_at),
        latitude=detection.latitude,
        longitude=detection.longitude,
        snapshot=picture.name if picture else None,
        received_at=now,
    )
    if picture is None:
        row.outcome = "ignored"
        log.info(
            "detection %s (%s at camera %s) ignored: confidence %.2f is below %.2f",
            detection.detection_id,
            detection.kind,
            detection.camera_id,
            detection.confidence,
            context.min_confidence,
        )
    else:
        appeal, opened = await _fold_or_open(session, context, detection, picture, now)
        row.appeal_item_id = appeal.id
        row.outcome = "opened" if opened else "folded"
    session.add(row)
    await session.flush()
    return row


async def _fold_or_open(
    session: AsyncSession,
    context: VideoContext,
    detection: Detection,
    picture: Picture,
    now: datetime,
) -> tuple[VideoAppeal, bool]:
    """The appeal the detection belongs to, and whether it opened it: one within
    the window, or a new one."""
    detected_at = as_utc(detection.detected_at)
    await repository.lock_watch(session, detection.camera_id, detection.kind, now=now)
    await repository.keep_snapshot(
        session,
        {
            "digest": picture.digest,
            "content_type": picture.content_type,
            "ending": picture.ending,
            "size": len(picture.content),
            "content": picture.content,
            "fetched_at": now,
        },
    )

    near = await repository.appeals_near(
        session, detection.camera_id, detection.kind, detected_at, context.fold_window
    )
    if near:
        appeal = min(near, key=lambda a: abs(a.first_detected_at - detected_at))
        appeal.detections += 1
        appeal.last_detected_at = max(appeal.last_detected_at, detected_at)
        log.info(
            "detection %s folded into appeal item %s (%s at camera %s, %d so far)",
            detection.detection_id,
            appeal.id,
            detection.kind,
            detection.camera_id,
            appeal.detections,
        )
        return appeal, False

    appeal = await _open(session, context, detection, picture, now)
    log.info(
        "detection %s opened appeal item %s (%s at camera %s)",
        detection.detection_id,
        appeal.id,
        detection.kind,
        detection.camera_id,
    )
    return appeal, True


async def _open(
    session: AsyncSession,
    context: VideoContext,
    detection: Detection,
    picture: Picture,
    now: datetime,
) -> VideoAppeal:
    appeal = canonical_appeal(
        detection,
        channel=context.channel,
        contact=context.contact,
        snapshot_url=context.snapshot_url(picture.name),
    )
    detected_at = as_utc(detection.detected_at)
    return await queue.enqueue(
        session,
        VideoAppeal,
        source=detection.camera_id,
        payload=appeal.model_dump(mode="json"),
        now=now,
        kind=detection.kind,
        first_detection_id=detection.detection_id,
        first_detected_at=detected_at,
        last_detected_at=detected_at,
        detections=1,
        snapshot=picture.name,
    )


def canonical_appeal(
    detection: Detection,
    *,
    channel: str,
    contact: Contact | None,
    snapshot_url: str,
) -> CanonicalAppeal:
    """The detection as a complaint in intake's canonical form: what was seen,
    where and when, the snapshot attached, the duty desk as the contact."""
    kind = mapping.KINDS[detection.kind]
    seen = format_local(as_utc(detection.detected_at))
    content = (
        f"AI视频识别：摄像头 {detection.camera_id} 于 {seen} 发现{kind.name}"
        f"（置信度 {detection.confidence:.0%}），抓拍图片见附件。"
    )
    if detection.address:
        content += f"位置：{detection.address}。"
    return CanonicalAppeal(
        channel=channel,
        channel_ref=detection.detection_id,
        type="complaint",
        category_hint=kind.category,
        title=f"{kind.name}（摄像头 {detection.camera_id}）",
        content=content,
        contact=contact,
        address=detection.address,
        coordinates=Coordinates(
            latitude=detection.latitude, longitude=detection.longitude
        ),
        received_at=as_utc(detection.detected_at).astimezone(SHANGHAI),
        attachments=[snapshot_url],
    )
