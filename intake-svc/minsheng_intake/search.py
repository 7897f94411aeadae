"""Finding appeals for an operator: by tracking code, by the citizen's contact
(through its keyed hash: the contact is never searched in clear), by place
(subdistrict or community) and by words of the texts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import pii
from minsheng_intake import normalise, repository
from minsheng_intake.context import IntakeContext
from minsheng_intake.errors import InvalidSearch
from minsheng_intake.models import Appeal

SHORTEST_TEXT = 2
# A run of this many digits in the words searched is a phone number, to be looked
# up by its hash (phone=), not in the texts.
_NUMBER = re.compile(r"\d{7,}")


@dataclass(frozen=True)
class Criteria:
    tracking_code: str | None = None
    phone: str | None = None
    place: str | None = None
    text: str | None = None


async def search(
    *,
    session: AsyncSession,
    context: IntakeContext,
    criteria: Criteria,
    limit: int,
    offset: int,
) -> tuple[list[Appeal], int]:
    """Appeals matching every criterion given (at least one), newest first."""
    tracking_code = _given(criteria.tracking_code)
    phone = _given(criteria.phone)
    place = _given(criteria.place)
    text = normalise.text(criteria.text) or None
    if not any((tracking_code, phone, place, text)):
        raise InvalidSearch(
            "give a tracking_code, phone, place or q to search by", field="query"
        )

    contact_hash = _contact_hash(context, phone) if phone else None
    subdistrict_id, community = _place(context, place) if place else (None, None)
    if text is not None:
        if len(text) < SHORTEST_TEXT:
            raise InvalidSearch(
                f"search for at least {SHORTEST_TEXT} characters", field="q"
            )
        if _NUMBER.search(re.sub(r"[\s\-]", "", text)):
            raise InvalidSearch(
                "to find a citizen's appeals by number, search with phone=", field="q"
            )
    return await repository.search(
        session,
        tracking_code=tracking_code.upper() if tracking_code else None,
        contact_hash=contact_hash,
        subdistrict_id=subdistrict_id,
        community=community,
        text=text,
        limit=limit,
        offset=offset,
    )


def _given(value: str | None) -> str | None:
    cleaned = normalise.reference(value) if value is not None else ""
    return cleaned or None


def _contact_hash(context: IntakeContext, phone: str) -> str:
    """The keyed hash of the number as intake stored it (normalised to E.164)."""
    try:
        contact = normalise.contact(
            "phone", phone, area_code=context.reference.district.phone_area_code
        )
    except normalise.InvalidContact as error:
        raise InvalidSearch(str(error), field="phone") from None
    return pii.keyed_hash(context.hash_key, contact.lookup_key())


def _place(context: IntakeContext, place: str) -> tuple[str | None, str | None]:
    """A subdistrict id or name, or a community name (社区 may be left off)."""
    gazetteer = context.gazetteer
    if place in gazetteer.subdistricts.values():
        return place, None
    if place in gazetteer.subdistricts:
        return gazetteer.subdistricts[place], None
    for name in (place, f"{place}社区"):
        if name in gazetteer.communities:
            return None, name
    raise InvalidSearch(
        f"'{place}' is no subdistrict or community of the district", field="place"
    )
