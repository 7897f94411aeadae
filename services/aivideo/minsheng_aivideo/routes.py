"""The AI + video adapter's HTTP API: take the detections the video platform pushes
(a valid signature, no key); follow the appeals and the detections (the scope
channel:operate: center operators and supervisors); serve the snapshots attached to
the appeals (the center and the units)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from minsheng_aivideo import repository, service, snapshots
from minsheng_aivideo.deps import Context, Operator, Session, SnapshotReader
from minsheng_aivideo.errors import SnapshotNotFound
from minsheng_aivideo.models import Snapshot, VideoAppeal, VideoDetection
from minsheng_aivideo.schemas import (
    AppealOut,
    Detection,
    DetectionAccepted,
    DetectionOut,
    DetectionPage,
    Outcome,
)
from minsheng_common.adapters import kept_files, push, schemas
from minsheng_common.adapters.routes import queue_router

router = APIRouter(prefix="/v1", tags=["ai-video"])


@router.post(
    "/detections",
    response_model=DetectionAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=push.body_schema(Detection),
)
async def push_detection(
    pushed: push.Push, session: Session, context: Context
) -> DetectionAccepted:
    """A detection the video platform pushes (AI+视频): {detection_id, camera_id,
    kind, snapshot_url, latitude, longitude, confidence, detected_at, address},
    signed with the shared secret instead of a key.

    401 `bad_signature` for a missing or wrong signature, 401 `stale_request` for
    one made outside the five-minute window, 409 `replayed_request` for a signed
    request received before, 503 when no secret is configured, 422
    `invalid_detection` with the field at fault. A detection below
    AIVIDEO_MIN_CONFIDENCE is recorded and ignored. Any other has its snapshot
    fetched first: 502 `snapshot_unavailable` when its server does not give it,
    422 when it is not a picture, too large or on a host not allowed (nothing is
    stored then). It then folds into the appeal of its camera and kind within
    AIVIDEO_FOLD_WINDOW_MINUTES, or opens a new appeal, delivered to intake with
    the snapshot attached. The same detection id pushed again answers its first
    outcome.
    """
    return await service.receive(session=session, context=context, pushed=pushed)


@router.get("/detections", response_model=DetectionPage)
async def list_detections(
    _operator: Operator,
    session: Session,
    context: Context,
    outcome: Annotated[Outcome | None, Query()] = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> DetectionPage:
    """Every detection received, in order, with what became of it: opened an
    appeal, folded into one, or ignored for its low confidence. Needs the scope
    channel:operate."""
    rows, total = await repository.detections(
        session, outcome=outcome, limit=limit, offset=offset
    )
    return DetectionPage(items=[_detection(row, context) for row in rows], total=total)


@router.get(
    "/snapshots/{name}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def get_snapshot(
    _reader: SnapshotReader,
    session: Session,
    name: Annotated[str, Path(pattern=snapshots.NAME)],
) -> Response:
    """A snapshot attached to an appeal, by the name in the attachment's URL
    (`<sha256>.<ending>`). Needs the scope appeals:read, appeals:read-unit or
    channel:operate."""
    kept = await kept_files.named(session, Snapshot, name)
    if kept is None:
        raise SnapshotNotFound("no such snapshot", field="name")
    return kept_files.picture_response(kept)


def _detection(row: VideoDetection, context: service.VideoContext) -> DetectionOut:
    return DetectionOut(
        detection_id=row.detection_id,
        camera_id=row.camera_id,
        kind=row.kind,
        confidence=row.confidence,
        detected_at=row.detected_at,
        outcome=row.outcome,
        appeal_item=row.appeal_item_id,
        snapshot_url=context.snapshot_url(row.snapshot) if row.snapshot else None,
    )


def present(item: VideoAppeal) -> AppealOut:
    return AppealOut(
        **schemas.delivery_of(item),
        camera_id=item.source,
        kind=item.kind,
        title=item.payload.get("title", ""),
        first_detection_id=item.first_detection_id,
        first_detected_at=item.first_detected_at,
        last_detected_at=item.last_detected_at,
        detections=item.detections,
        snapshot_url=item.payload["attachments"][0],
    )


items = queue_router(
    model=VideoAppeal,
    present=present,
    out=AppealOut,
    tag="ai-video",
    what="appeals from the cameras",
)
