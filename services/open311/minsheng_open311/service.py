"""What the server's routes share, and the requests as GeoReport v2 shows them:
each with its status, public note, unit and deadline from the progress read, and
what the client wrote only to the client that filed it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.clock import Clock
from minsheng_open311 import repository, status
from minsheng_open311.catalogue import Catalogue
from minsheng_open311.formats import Entries, Value
from minsheng_open311.models import ProgressUpdate, ServiceRequest, WorkOrderView


@dataclass(frozen=True)
class Limits:
    """How much a client may send and ask for at once."""

    max_description_chars: int = 4000
    max_title_chars: int = 200
    query_days: int = 90
    max_results: int = 1000
    max_ids_per_query: int = 100
    post_wait_seconds: float = 2.0


@dataclass(frozen=True)
class Open311Context:
    """What the routes and the delivery loop share besides the store."""

    clock: Clock
    channel: str
    catalogue: Catalogue
    jurisdictions: frozenset[str]
    limits: Limits = field(default_factory=Limits)
    public_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(per_minute=600)
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)


def service_request_id(request: ServiceRequest) -> str | None:
    """Intake's tracking code; for a request intake refused, its token (it never
    got a tracking code, yet still answers as a closed request)."""
    if request.tracking_code is not None:
        return request.tracking_code
    if request.status == "refused":
        return request.id
    return None


async def views(
    session: AsyncSession, context: Open311Context, requests: Sequence[ServiceRequest]
) -> list[status.View]:
    """Each request's view, read in four queries whatever their number. An appeal
    merged into another follows the surviving appeal's orders and steps from the
    merger on."""
    own = {r.appeal_id for r in requests if r.appeal_id is not None}
    mergers = await repository.mergers_of(session, own)
    survivors = {merger.survivor_appeal_id for merger in mergers.values()}
    orders = await repository.orders_of(session, own | survivors)
    updates = await repository.updates_of(session, own | survivors)

    orders_by: dict[str, list[WorkOrderView]] = {}
    for order in orders:
        orders_by.setdefault(order.appeal_id, []).append(order)
    updates_by: dict[str, list[ProgressUpdate]] = {}
    for update in updates:
        updates_by.setdefault(update.appeal_id, []).append(update)

    found = []
    for request in requests:
        appeal_id = request.appeal_id or ""
        its_orders = list(orders_by.get(appeal_id, []))
        its_updates = list(updates_by.get(appeal_id, []))
        merger = mergers.get(appeal_id)
        if merger is not None:
            its_orders += orders_by.get(merger.survivor_appeal_id, [])
            its_updates += [
                update
                for update in updates_by.get(merger.survivor_appeal_id, [])
                if update.occurred_at >= merger.merged_at
            ]
        found.append(
            status.view(
                request,
                updates=its_updates,
                orders=its_orders,
                catalogue=context.catalogue,
            )
        )
    return found


def present(
    request: ServiceRequest,
    view: status.View,
    *,
    catalogue: Catalogue,
    viewer: str | None,
) -> Mapping[str, Value]:
    """A request in GeoReport v2's fields. What the client wrote (description,
    address, position, photo) goes only to the client that filed it: the status
    is public, the citizen's words are not (Art. 41)."""
    own = viewer is not None and viewer == request.client_id
    category = catalogue.category(request.service_code)
    return {
        "service_request_id": service_request_id(request),
        "status": view.status,
        "status_notes": view.step.notes,
        "service_name": category.name if category else None,
        "service_code": request.service_code,
        "description": request.description if own else None,
        "agency_responsible": view.agency,
        "service_notice": None,
        "requested_datetime": request.requested_at,
        "updated_datetime": view.updated_at,
        "expected_datetime": view.expected_at,
        "address": request.address if own else None,
        "address_id": request.address_id if own else None,
        "zipcode": None,
        "lat": request.latitude if own else None,
        "long": request.longitude if own else None,
        "media_url": request.media_url if own else None,
    }


async def listing(
    session: AsyncSession,
    context: Open311Context,
    requests: Sequence[ServiceRequest],
    *,
    viewer: str | None,
    statuses: frozenset[str] | None = None,
) -> Entries:
    """Requests as GeoReport v2's `service_requests`, at most `max_results`,
    keeping only those in `statuses` when given."""
    entries: list[Value] = []
    for request, view in zip(
        requests, await views(session, context, requests), strict=True
    ):
        if statuses is not None and view.status not in statuses:
            continue
        entries.append(
            present(request, view, catalogue=context.catalogue, viewer=viewer)
        )
        if len(entries) >= context.limits.max_results:
            break
    return Entries("request", entries)


async def feed(
    session: AsyncSession, context: Open311Context, *, start: datetime, end: datetime
) -> Entries:
    """The update feed: every step of the requests' appeals in the window, oldest
    first. A step an appeal shares with those merged into it appears once for each
    of their requests, under an update_id of its own."""
    rows = await repository.feed(
        session, start=start, end=end, limit=context.limits.max_results
    )
    return Entries(
        "request_update",
        [
            {
                "update_id": f"{update.id}-{request_id}"
                if followed
                else str(update.id),
                "service_request_id": request_id,
                "status": update.state,
                "updated_datetime": update.occurred_at,
                "description": update.notes,
                "media_url": None,
            }
            for update, request_id, followed in rows
        ],
    )


async def wait_for_intake(
    session: AsyncSession, request: ServiceRequest, *, seconds: float
) -> None:
    """Give the delivery loop up to `seconds` to have intake's answer, so the
    client gets the service_request_id with its token."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while request.status == "pending" and loop.time() < deadline:
        await asyncio.sleep(0.05)
        await session.refresh(request)
        # End the read at once: a read kept open would keep seeing the old row.
        await session.commit()
