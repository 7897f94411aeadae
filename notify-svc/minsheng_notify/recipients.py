"""Who official messages go to, and by which channel: units, agencies and district
leaders, with addresses from the reference data's `contacts` section.

The regulation gives each recipient its channel (Art. 23 "Sending", Art. 39):
units are urged in real time by government WeChat (政务微信); agencies such as the
Political-Legal Committee, the Emergency Management Bureau and the Petition Bureau
get an OA reminder letter, a document delivered to their office system; district
leaders get the morning report by SMS or government WeChat; special urgent cases
also get a telephone letter (电函) from the center. Which agencies hear of what is
the reference data's `warning_routes`; nothing here names a district.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from minsheng_common.reference import Addresses, Contacts, ReferenceData
from minsheng_notify import senders

log = logging.getLogger(__name__)

Route = Literal["sms", "wechat_work", "oa", "telephone"]
Audience = Literal["unit", "agency", "leader"]

OA = "oa"
"""Contact kind of an office system's inbox (OA): the letter is delivered there."""

CONTACT_KINDS: dict[Route, str] = {
    "sms": senders.PHONE,
    "wechat_work": senders.GOV_WECHAT_USER,
    "oa": OA,
    "telephone": senders.TELEPHONE,
}
"""The kind of contact each route hands the delivery, which picks the sender by it
(a telephone is left to staff, who call and record the call)."""

URGING_ROUTES: tuple[Route, ...] = ("wechat_work", "oa")
"""Urging is pushed by government WeChat in real time (Art. 39); OA without it."""
LETTER_ROUTES: tuple[Route, ...] = ("oa",)
"""Supervision lists, reminder letters and warnings are documents (Art. 23, 40)."""
TELEPHONE_ROUTES: tuple[Route, ...] = ("telephone",)

LEVEL_1 = "level_1"
"""The `warning_routes` entry of level-1 appeals (Art. 9)."""


@dataclass(frozen=True)
class Addressee:
    """One office and its addresses for one message, in the order to try them;
    none when the contacts lack them, and the message then fails at once, so the
    center sees who was not told."""

    party_id: str
    audience: Audience
    name: str
    addresses: tuple[tuple[Route, str], ...]

    def contacts(self) -> list[tuple[str, str]]:
        """(contact kind, address) in the order to try them."""
        return [(CONTACT_KINDS[route], address) for route, address in self.addresses]


class Directory:
    """The offices official messages go to, read from reference data."""

    def __init__(self, reference: ReferenceData, contacts: Contacts) -> None:
        self.reference = reference
        self.contacts = contacts
        self._unit_names = {unit.id: unit.name for unit in reference.units}
        self._agencies = {
            unit_id for route in reference.warning_routes.values() for unit_id in route
        }

    @classmethod
    def load(cls, reference: ReferenceData, contacts_file: Path | None) -> Directory:
        """The reference's contacts, or those of `contacts_file` when given (the
        district's real addresses, kept apart from the shared reference file)."""
        contacts = reference.contacts
        if contacts_file is not None:
            contacts = Contacts.model_validate_json(
                contacts_file.read_text(encoding="utf-8")
            )
        if contacts.placeholder:
            log.warning(
                "official messages use placeholder addresses (%d units, %d leaders); "
                "set the district's own contacts before going live",
                len(contacts.units),
                len(contacts.leaders),
            )
        return cls(reference, contacts)

    def center_name(self) -> str:
        """The center's name as the reference gives it (Art. 3)."""
        for unit in self.reference.units:
            if unit.kind == "center":
                return unit.name
        return "民生诉求服务中心"

    def unit_name(self, unit_id: str) -> str:
        return self._unit_names.get(unit_id, unit_id)

    def unit(self, unit_id: str, routes: Sequence[Route]) -> Addressee:
        """A unit or agency by those of `routes` it has an address for, in order."""
        addresses = self.contacts.units.get(unit_id, Addresses())
        audience: Audience = "agency" if unit_id in self._agencies else "unit"
        return Addressee(
            party_id=unit_id,
            audience=audience,
            name=self.unit_name(unit_id),
            addresses=_present(addresses, routes),
        )

    def knows_unit(self, unit_id: str) -> bool:
        return unit_id in self._unit_names or unit_id in self.contacts.units

    def leaders(self) -> list[Addressee]:
        """Every leader who gets the morning report, by the channel each prefers,
        then the other one (SMS or government WeChat, Art. 23)."""
        found = []
        for leader in self.contacts.leaders:
            if not leader.morning_report:
                continue
            other: Route = "sms" if leader.via == "wechat_work" else "wechat_work"
            found.append(
                Addressee(
                    party_id=leader.id,
                    audience="leader",
                    name=leader.title,
                    addresses=_present(leader, (leader.via, other)),
                )
            )
        return found

    def routed(self, case: str) -> list[str]:
        """The agencies told of `case` (level_1 or a warning kind), in the
        reference's order (Art. 9, 23)."""
        return list(self.reference.warning_routes.get(case, []))

    def telephone_letter(self, case: str) -> bool:
        """Whether `case` is a special urgent one that also gets a telephone letter
        (电函, Art. 23)."""
        return case in self.contacts.telephone_letters_for

    def subdistrict_office(self, subdistrict_id: str | None) -> str | None:
        """The subdistrict office told of a warning in its area (Art. 23), if the
        contacts say so and it is a known unit."""
        if subdistrict_id is None or not self.contacts.warnings_to_subdistrict:
            return None
        return subdistrict_id if self.knows_unit(subdistrict_id) else None

    def subdistrict_name(self, subdistrict_id: str | None) -> str | None:
        if subdistrict_id is None:
            return None
        for subdistrict in self.reference.subdistricts:
            if subdistrict.id == subdistrict_id:
                return subdistrict.name
        return subdistrict_id

    def category_name(self, category_id: str | None) -> str | None:
        if category_id is None:
            return None
        for category in self.reference.categories:
            if category.id == category_id:
                return category.name
        return category_id


def _present(
    addresses: Addresses, routes: Sequence[Route]
) -> tuple[tuple[Route, str], ...]:
    found = []
    for route in routes:
        address = getattr(addresses, route)
        if address:
            found.append((route, str(address)))
    return tuple(found)
