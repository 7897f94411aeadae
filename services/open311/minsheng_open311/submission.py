"""A 311 client's POST /requests: its form read and checked against GeoReport v2,
and stored as an appeal in intake's canonical form before anything is sent, so
nothing is lost when intake is down.

Everything intake would refuse outright (422) is refused here with 400 instead,
while the client still waits: a description, title or name too long, an email or
photo URL intake cannot use. Whether the appeal is filed (Art. 11) stays intake's
decision; a request it does not file still has its service_request_id and answers
as closed with the reason.

Logs name the request's token, never the citizen's words, contact or name.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, cast

from pydantic import HttpUrl, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.adapters import queue
from minsheng_common.auth.principal import Principal
from minsheng_common.rules import AppealType
from minsheng_common.text import strip_invisible
from minsheng_common.timeutil import SHANGHAI
from minsheng_open311 import catalogue as services
from minsheng_open311.errors import BadRequest
from minsheng_open311.models import ServiceRequest
from minsheng_open311.queries import check_jurisdiction, given
from minsheng_open311.schemas import CanonicalAppeal, Contact, Coordinates
from minsheng_open311.service import Open311Context

log = logging.getLogger(__name__)

Form = Mapping[str, Sequence[str]]
"""The form's fields, each with every value it was given."""

_ATTRIBUTE: Final = re.compile(r"^attribute\[(?P<code>[^\[\]]+)\](?:\[\])?$")
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CJK: Final = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff]")
_URL: Final = TypeAdapter(HttpUrl)
QUEUE: Final = "open311"
"""The one queue: requests reach intake in the order they came."""
DERIVED_TITLE_CHARS: Final = 40
MAX_ADDRESS_CHARS: Final = 450
"""Intake takes 500: room is left for the subdistrict and community chosen."""
MAX_ADDRESS_ID_CHARS: Final = 200
MAX_CONTACT_CHARS: Final = 200
MAX_NAME_CHARS: Final = 50
MAX_URL_CHARS: Final = 2000


def one(form: Form, name: str) -> str | None:
    """The field's first value, without invisible characters; None when absent
    or empty."""
    values = form.get(name) or ()
    return given(strip_invisible(values[0])) if values else None


async def submit(
    *,
    session: AsyncSession,
    context: Open311Context,
    form: Form,
    client: Principal,
) -> ServiceRequest:
    """Check the form and store the request, pending delivery to intake."""
    check_jurisdiction(one(form, "jurisdiction_id"), context.jurisdictions)
    problems: list[str] = []
    read = _read(form, context, problems)
    if problems or read.category_id is None:
        raise BadRequest(*problems)

    now = context.clock.now()
    token = ids.new_id()
    appeal = CanonicalAppeal(
        channel=context.channel,
        channel_ref=token,
        type=read.appeal_type,
        category_hint=read.category_id,
        title=read.title,
        content=read.description or "",
        contact=read.contact,
        second_contact=read.second_contact,
        address=read.address_for_intake,
        coordinates=read.coordinates,
        received_at=now.astimezone(SHANGHAI),
        attachments=[read.media_url] if read.media_url else [],
        name=read.name,
        consent_to_disclose=read.consent,
    )
    request = ServiceRequest(
        id=token,
        source=QUEUE,
        position=await queue.last_position(session, ServiceRequest, QUEUE) + 1,
        due_at=now,
        client_id=client.subject,
        service_code=appeal.category_hint,
        payload=appeal.model_dump(mode="json"),
        description=read.description,
        address=read.address,
        address_id=read.address_id,
        latitude=read.coordinates.latitude if read.coordinates else None,
        longitude=read.coordinates.longitude if read.coordinates else None,
        media_url=read.media_url,
        requested_at=now,
        status="pending",
        attempts=0,
        created_at=now,
    )
    session.add(request)
    await session.commit()
    context.wake.set()
    log.info(
        "request %s filed by %s under %s", token, client.label(), request.service_code
    )
    return request


@dataclass
class _Read:
    """What the form gave: the appeal's fields and the request's own."""

    category_id: str | None = None
    appeal_type: AppealType | None = None
    title: str = ""
    description: str | None = None
    address: str | None = None
    address_id: str | None = None
    address_for_intake: str | None = None
    coordinates: Coordinates | None = None
    media_url: str | None = None
    contact: Contact | None = None
    second_contact: Contact | None = None
    name: str | None = None
    consent: bool = False


def _read(form: Form, context: Open311Context, problems: list[str]) -> _Read:
    read = _Read()
    limits = context.limits
    attributes = _attributes(form, context, problems)

    service_code = one(form, "service_code")
    category = context.catalogue.category(service_code) if service_code else None
    if service_code is None:
        problems.append("service_code: required")
    elif category is None:
        problems.append(f"service_code: {service_code} is not a service here")

    description = one(form, "description")
    if description is not None and len(description) > limits.max_description_chars:
        problems.append(
            f"description: {len(description)} characters; at most "
            f"{limits.max_description_chars} are accepted"
        )
    read.description = description

    title = attributes.get(services.TITLE)
    if title is not None and len(title) > limits.max_title_chars:
        problems.append(
            f"attribute[title]: {len(title)} characters; at most "
            f"{limits.max_title_chars} are accepted"
        )

    read.address = _limited(form, "address_string", MAX_ADDRESS_CHARS, problems)
    read.address_id = _limited(form, "address_id", MAX_ADDRESS_ID_CHARS, problems)
    coordinates = _coordinates(form, problems)
    located = coordinates or read.address or read.address_id
    if not located and not any(p.startswith(("lat", "long")) for p in problems):
        problems.append(
            "lat, long, address_string, address_id: a location is required "
            "(lat and long, address_string or address_id)"
        )

    read.media_url = _media_url(form, problems)
    contact, second_contact = _contacts(form, problems)
    name = _name(form, problems)
    if problems or category is None:
        return read

    read.category_id = category.id
    read.appeal_type = cast(AppealType | None, attributes.get(services.TYPE))
    read.title = title or _title(description, category.name)
    read.address_for_intake = _address(read.address, attributes, context)
    read.coordinates = coordinates
    read.contact, read.second_contact = contact, second_contact
    read.name = name
    read.consent = attributes.get(services.CONSENT) == "true"
    return read


def _attributes(
    form: Form, context: Open311Context, problems: list[str]
) -> dict[str, str]:
    """attribute[code]=key of the attributes a client may submit; a value not in a
    list's keys is a problem, an attribute this server does not define is
    ignored."""
    known = context.catalogue.by_code()
    found: dict[str, str] = {}
    for name in form:
        match = _ATTRIBUTE.match(name)
        if match is None or match["code"] not in known:
            continue
        attribute = known[match["code"]]
        value = one(form, name)
        if value is None or not attribute.variable:
            continue
        if attribute.values is not None and value not in attribute.values:
            problems.append(
                f"attribute[{attribute.code}]: {value} is not one of "
                f"{', '.join(attribute.values)}"
            )
            continue
        found[attribute.code] = value
    return found


def _limited(form: Form, name: str, limit: int, problems: list[str]) -> str | None:
    value = one(form, name)
    if value is not None and len(value) > limit:
        problems.append(f"{name}: {len(value)} characters; at most {limit}")
    return value


def _coordinates(form: Form, problems: list[str]) -> Coordinates | None:
    found: list[str] = []
    latitude = _number(form, "lat", 90.0, found)
    longitude = _number(form, "long", 180.0, found)
    if not found and (latitude is None) != (longitude is None):
        found.append("lat, long: give both or neither")
    problems.extend(found)
    if found or latitude is None or longitude is None:
        return None
    return Coordinates(latitude=latitude, longitude=longitude)


def _number(form: Form, name: str, bound: float, problems: list[str]) -> float | None:
    raw = one(form, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name}: {raw!r} is not a number")
        return None
    if not math.isfinite(value) or abs(value) > bound:
        problems.append(f"{name}: {raw} is outside -{bound:g}…{bound:g}")
        return None
    return value


def _media_url(form: Form, problems: list[str]) -> str | None:
    raw = one(form, "media_url")
    if raw is None:
        return None
    if len(raw) > MAX_URL_CHARS:
        problems.append(f"media_url: longer than {MAX_URL_CHARS} characters")
        return None
    try:
        return str(_URL.validate_python(raw))
    except ValidationError:
        problems.append("media_url: not an http or https URL")
        return None


def _contacts(form: Form, problems: list[str]) -> tuple[Contact | None, Contact | None]:
    """The phone first, the email as the fallback; the email alone when no phone
    was given. Intake judges whether a number is real (Art. 11(2)1)."""
    phone = _limited(form, "phone", MAX_CONTACT_CHARS, problems)
    email = _limited(form, "email", MAX_CONTACT_CHARS, problems)
    if email is not None and not _EMAIL.match(email):
        problems.append("email: not an email address")
        return None, None
    given_contacts = [
        Contact(kind=kind, value=value)
        for kind, value in (("phone", phone), ("email", email))
        if value is not None and len(value) <= MAX_CONTACT_CHARS
    ]
    first = given_contacts[0] if given_contacts else None
    second = given_contacts[1] if len(given_contacts) > 1 else None
    return first, second


def _name(form: Form, problems: list[str]) -> str | None:
    """A Chinese name is family name first (last_name, first_name); others are
    written first name first."""
    first, last = one(form, "first_name"), one(form, "last_name")
    parts = [part for part in (first, last) if part]
    if not parts:
        return None
    if _CJK.search("".join(parts)):
        name = "".join(part for part in (last, first) if part)
    else:
        name = " ".join(parts)
    if len(name) > MAX_NAME_CHARS:
        problems.append(
            f"first_name, last_name: {len(name)} characters; at most {MAX_NAME_CHARS}"
        )
        return None
    return name


def _title(description: str | None, service_name: str) -> str:
    """The title units see in their lists: the description's first line, cut
    short; the service's name when there is no description."""
    if not description:
        return service_name
    first_line = description.splitlines()[0].strip() or service_name
    if len(first_line) <= DERIVED_TITLE_CHARS:
        return first_line
    return first_line[: DERIVED_TITLE_CHARS - 1] + "…"


def _address(
    address: str | None, attributes: Mapping[str, str], context: Open311Context
) -> str | None:
    """The address as the client wrote it, preceded by the subdistrict and
    community chosen from the lists when it does not name them already."""
    parts: list[str] = []
    subdistrict = attributes.get(services.SUBDISTRICT)
    if subdistrict is not None:
        parts.append(context.catalogue.subdistrict_name(subdistrict))
    community = attributes.get(services.COMMUNITY)
    if community is not None:
        parts.append(community)
    prefix = "".join(part for part in parts if not address or part not in address)
    combined = f"{prefix}{address or ''}"
    return combined or None
