"""The GeoReport v2 API (open to every 311 client; filing needs an api_key) and
the operators' view of the requests on their way to intake, shared by every
adapter (`GET /v1/items`, `GET /v1/stats`; channel:operate).

Every GeoReport v2 path ends in `.json` or `.xml`, which chooses the format of
the answer and of its errors (a list of {code, description}).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from minsheng_common.adapters import schemas
from minsheng_common.adapters.routes import queue_router
from minsheng_open311 import access, formats, queries, repository, service, submission
from minsheng_open311.deps import Auth, Context, Reader, Session
from minsheng_open311.errors import BadRequest, NotFound
from minsheng_open311.formats import Entries
from minsheng_open311.models import ServiceRequest
from minsheng_open311.schemas import RequestItem
from minsheng_open311.submission import Form, one


class ErrorEntry(BaseModel):
    """One GeoReport v2 error: the HTTP status and what is wrong."""

    code: int
    description: str


def _documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    answers: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "The answer in the format of the extension",
            "content": {"application/json": {}, "text/xml": {}},
        }
    }
    meanings = {
        400: "A parameter is missing or malformed",
        403: "The api_key is missing or is not a 311 client's",
        404: "No such service, request, token, jurisdiction or format",
        429: "Too many requests; see Retry-After",
    }
    for code in statuses:
        answers[code] = {
            "model": list[ErrorEntry],
            "description": meanings[code],
            "content": {"text/xml": {}},
        }
    return answers


FORMAT = Annotated[str, Path(description="json or xml")]
JURISDICTION = Annotated[
    str | None,
    Query(description="the district's id or code; may be left out or empty"),
]
START = Annotated[
    str | None,
    Query(
        description="W3C date and time with an offset, e.g. 2026-03-02T09:30:00+08:00"
    ),
]
END = Annotated[str | None, Query(description="W3C date and time with an offset")]
FORM_FIELDS: Final = {
    "api_key": "the 311 client's key",
    "jurisdiction_id": "the district's id or code; may be left out",
    "service_code": "the service (category) from GET /services",
    "lat": "latitude (WGS 84); with long",
    "long": "longitude (WGS 84); with lat",
    "address_string": "the address as the citizen gives it",
    "address_id": "an address id of the client's own",
    "email": "the citizen's email address",
    "device_id": "ignored",
    "account_id": "echoed in the answer",
    "first_name": "the citizen's given name",
    "last_name": "the citizen's family name",
    "phone": "the citizen's telephone number",
    "description": "what happened, at most 4,000 characters",
    "media_url": "a photo's http(s) URL",
}

router = APIRouter(tags=["open311"], route_class=formats.Open311Route)


def present(item: ServiceRequest) -> RequestItem:
    return RequestItem(
        **schemas.delivery_of(item),
        service_code=item.service_code,
        requested_at=item.requested_at,
        client_id=item.client_id,
    )


operations = queue_router(
    model=ServiceRequest,
    present=present,
    out=RequestItem,
    tag="open311 operations",
    what="requests",
)


@router.get("/services.{response_format}", responses=_documented(404, 429))
async def list_services(
    context: Context,
    _reader: Reader,
    response_format: FORMAT,
    jurisdiction_id: JURISDICTION = None,
) -> Response:
    """The services a request may be filed under: the district's categories."""
    fmt = formats.response_format(response_format)
    queries.check_jurisdiction(jurisdiction_id, context.jurisdictions)
    return formats.document(fmt, "services", context.catalogue.services())


@router.get(
    "/services/{service_code}.{response_format}",
    responses=_documented(404, 429),
)
async def define_service(
    context: Context,
    _reader: Reader,
    service_code: Annotated[str, Path(max_length=50)],
    response_format: FORMAT,
    jurisdiction_id: JURISDICTION = None,
) -> Response:
    """A service's definition: the attributes a request may carry."""
    fmt = formats.response_format(response_format)
    queries.check_jurisdiction(jurisdiction_id, context.jurisdictions)
    category = context.catalogue.category(service_code)
    if category is None:
        raise NotFound(f"service_code: {service_code} is not a service here")
    body = context.catalogue.definition(category, at=context.clock.now())
    return formats.document(fmt, "service_definition", body)


@router.post(
    "/requests.{response_format}",
    status_code=201,
    responses=_documented(400, 403, 404, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["api_key", "service_code"],
                        "properties": {
                            name: {"type": "string", "description": text}
                            for name, text in FORM_FIELDS.items()
                        },
                        "additionalProperties": {
                            "type": "string",
                            "description": "attribute[code]=key, as the service's "
                            "definition lists",
                        },
                    }
                }
            },
        }
    },
)
async def file_request(
    request: Request,
    session: Session,
    context: Context,
    auth: Auth,
    response_format: FORMAT,
) -> Response:
    """File a request (form-encoded, with api_key). Answers with a token at
    once, and with the service_request_id (intake's tracking code) when intake
    decides within the wait; otherwise GET /tokens/{token} gives it later.

    A request intake does not file still gets its service_request_id, and
    answers as closed with the reason."""
    fmt = formats.response_format(response_format)
    form = await _form(request)
    key = given_key(request, form)
    client = access.client(auth, key, channel=context.channel)

    stored = await submission.submit(
        session=session, context=context, form=form, client=client
    )
    await service.wait_for_intake(
        session, stored, seconds=context.limits.post_wait_seconds
    )
    [view] = await service.views(session, context, [stored])
    entry = {
        "service_request_id": service.service_request_id(stored),
        "token": stored.id,
        "service_notice": view.step.notes,
        "account_id": one(form, "account_id"),
    }
    return formats.document(
        fmt, "service_requests", Entries("request", [entry]), status_code=201
    )


@router.get("/tokens/{token}.{response_format}", responses=_documented(404, 429))
async def read_token(
    session: Session,
    context: Context,
    _reader: Reader,
    token: Annotated[str, Path(max_length=64)],
    response_format: FORMAT,
    jurisdiction_id: JURISDICTION = None,
) -> Response:
    """The service_request_id of a token, once intake has the request (empty
    until then)."""
    fmt = formats.response_format(response_format)
    queries.check_jurisdiction(jurisdiction_id, context.jurisdictions)
    stored = await repository.by_token(session, token)
    if stored is None:
        raise NotFound(f"token: {token} is not known here")
    entry = {"service_request_id": service.service_request_id(stored), "token": token}
    return formats.document(fmt, "service_requests", Entries("request", [entry]))


@router.get("/requests.{response_format}", responses=_documented(400, 403, 404, 429))
async def search_requests(
    session: Session,
    context: Context,
    reader: Reader,
    response_format: FORMAT,
    service_request_id: Annotated[
        str | None,
        Query(description="ids, comma-separated; every other parameter is ignored"),
    ] = None,
    service_code: Annotated[
        str | None, Query(description="services, comma-separated")
    ] = None,
    start_date: START = None,
    end_date: END = None,
    status: Annotated[
        str | None, Query(description="open, closed, or both comma-separated")
    ] = None,
    jurisdiction_id: JURISDICTION = None,
) -> Response:
    """Requests by id, or filed in a span of at most 90 days (the last 90 days by
    default), newest first, at most 1,000."""
    fmt = formats.response_format(response_format)
    queries.check_jurisdiction(jurisdiction_id, context.jurisdictions)
    limits = context.limits

    ids = queries.request_ids(service_request_id, limit=limits.max_ids_per_query)
    if ids is not None:
        found = await repository.by_service_request_ids(session, ids)
        order = {value: index for index, value in enumerate(ids)}
        found.sort(key=lambda r: order.get(service.service_request_id(r) or "", 0))
        entries = await service.listing(session, context, found, viewer=reader)
        return formats.document(fmt, "service_requests", entries)

    problems: list[str] = []
    window = statuses = None
    try:
        window = queries.window(
            start_date, end_date, now=context.clock.now(), days=limits.query_days
        )
    except BadRequest as error:
        problems.extend(error.descriptions)
    try:
        statuses = queries.statuses(status)
    except BadRequest as error:
        problems.extend(error.descriptions)
    if problems or window is None:
        raise BadRequest(*problems)

    found = await repository.requested_between(
        session,
        start=window.start,
        end=window.end,
        service_codes=queries.listed(service_code),
    )
    entries = await service.listing(
        session, context, found, viewer=reader, statuses=statuses
    )
    return formats.document(fmt, "service_requests", entries)


@router.get(
    "/requests/{service_request_id}.{response_format}",
    responses=_documented(403, 404, 429),
)
async def read_request(
    session: Session,
    context: Context,
    reader: Reader,
    service_request_id: Annotated[str, Path(max_length=64)],
    response_format: FORMAT,
    jurisdiction_id: JURISDICTION = None,
) -> Response:
    """One request: its status, notes, unit responsible and handling deadline."""
    fmt = formats.response_format(response_format)
    queries.check_jurisdiction(jurisdiction_id, context.jurisdictions)
    found = await repository.by_service_request_ids(session, [service_request_id])
    if not found:
        raise NotFound(f"service_request_id: {service_request_id} is not known here")
    entries = await service.listing(session, context, found[:1], viewer=reader)
    return formats.document(fmt, "service_requests", entries)


@router.get(
    "/servicerequestupdates.{response_format}",
    responses=_documented(400, 403, 404, 429),
)
async def list_updates(
    session: Session,
    context: Context,
    _reader: Reader,
    response_format: FORMAT,
    start_date: START = None,
    end_date: END = None,
    jurisdiction_id: JURISDICTION = None,
) -> Response:
    """The update feed (an extension many 311 clients read): every step of the
    requests' appeals in a span of at most 90 days, oldest first, in the extended
    states open, investigating, action_scheduled, in_progress, fixed, closed,
    duplicate, not_councils_responsibility and no_further_action."""
    fmt = formats.response_format(response_format)
    queries.check_jurisdiction(jurisdiction_id, context.jurisdictions)
    window = queries.window(
        start_date,
        end_date,
        now=context.clock.now(),
        days=context.limits.query_days,
    )
    entries = await service.feed(session, context, start=window.start, end=window.end)
    return formats.document(fmt, "service_request_updates", entries)


_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _form(request: Request) -> Form:
    """The form's text fields, each with all its values; files are not taken
    (GeoReport v2 sends photos as media_url)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type.lower() not in _FORM_TYPES:
        raise BadRequest(
            "the body must be form-encoded (application/x-www-form-urlencoded)"
        )
    async with request.form() as form:
        return {
            name: [value for value in form.getlist(name) if isinstance(value, str)]
            for name in form
        }


def given_key(request: Request, form: Form) -> str | None:
    """The api_key from the form, or else the query or the X-API-Key header."""
    return (
        one(form, "api_key")
        or queries.given(request.query_params.get("api_key"))
        or queries.given(request.headers.get("X-API-Key"))
    )
