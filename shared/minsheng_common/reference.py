"""Reference data that seeds a new installation: places, channels, units, categories.

The packaged file is Pingshan District's; another district points
`MINSHENG_REFERENCE_FILE` at its own file of the same shape.
"""

from __future__ import annotations

import json
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from minsheng_common.working_calendar import WorkingHours


class District(BaseModel):
    id: str
    name: str
    city: str
    province: str
    admin_code: str
    timezone: str = "Asia/Shanghai"
    phone_area_code: str | None = Field(
        default=None, description="a local number without area code is read in it"
    )


class Subdistrict(BaseModel):
    """A subdistrict (街道) and its communities (社区)."""

    id: str
    name: str
    communities: list[str]


class Channel(BaseModel):
    id: str
    name: str


class Unit(BaseModel):
    """A unit that handles, receives warnings or runs the center."""

    id: str
    name: str
    kind: str


class Category(BaseModel):
    """A first-level category of the classification standard (Art. 8)."""

    id: str
    name: str
    default_unit: str | None = None
    territorial: bool = False
    examples: dict[str, str] = Field(
        default_factory=dict, description="keyword in the text → unit id"
    )


class Addresses(BaseModel):
    """Where official messages to one office go: its OA inbox (reminder letters,
    warnings), its government WeChat (政务微信) account, a mobile number for SMS and a
    duty telephone for telephone letters (电函). Offices, never private persons."""

    model_config = ConfigDict(extra="forbid")

    sms: str | None = None
    wechat_work: str | None = None
    oa: str | None = None
    telephone: str | None = None


class Leader(Addresses):
    """A district leader (区领导) who gets the daily morning report, by SMS or
    government WeChat (Art. 23); named by office, never by person."""

    id: str = Field(min_length=1, max_length=24, pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1, max_length=50)
    via: Literal["sms", "wechat_work"] = "sms"
    morning_report: bool = True


class Contacts(BaseModel):
    """Addresses of units, agencies and leaders for official messages (urging,
    supervision, warnings, the morning report). `placeholder` marks made-up
    addresses that a district replaces before going live."""

    model_config = ConfigDict(extra="forbid")

    placeholder: bool = False
    about: str = ""
    units: dict[str, Addresses] = Field(
        default_factory=dict, description="unit id (also agencies) → its addresses"
    )
    leaders: list[Leader] = Field(default_factory=list)
    telephone_letters_for: list[str] = Field(
        default_factory=lambda: ["level_1", "safety_hazard"],
        description="urgent cases that also get a telephone letter (电函): level_1 "
        "and warning kinds",
    )
    warnings_to_subdistrict: bool = Field(
        default=True,
        description="warnings also go to the subdistrict office they name (Art. 23)",
    )


class ReferenceData(BaseModel):
    """The whole reference file."""

    model_config = ConfigDict(frozen=True)

    district: District
    subdistricts: list[Subdistrict]
    channels: list[Channel]
    units: list[Unit]
    categories: list[Category]
    warning_routes: dict[str, list[str]] = Field(default_factory=dict)
    watched_topics: list[str] = Field(default_factory=list)
    hotspot_rules: list[dict[str, int]] = Field(default_factory=list)
    contacts: Contacts = Field(default_factory=Contacts)
    working_hours: list[tuple[str, str]] = Field(
        default_factory=lambda: [("09:00", "12:00"), ("14:00", "18:00")]
    )

    @cached_property
    def channel_ids(self) -> frozenset[str]:
        return frozenset(channel.id for channel in self.channels)

    @cached_property
    def category_ids(self) -> frozenset[str]:
        return frozenset(category.id for category in self.categories)

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def subdistrict(self, subdistrict_id: str) -> Subdistrict:
        for subdistrict in self.subdistricts:
            if subdistrict.id == subdistrict_id:
                return subdistrict
        raise KeyError(subdistrict_id)

    def hours(self) -> WorkingHours:
        return WorkingHours.parse(self.working_hours)


def load_reference(path: Path | None = None) -> ReferenceData:
    """Read reference data from `path`, or the packaged default."""
    if path is None:
        text = (
            resources.files("minsheng_common.data")
            .joinpath("pingshan.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    return ReferenceData.model_validate(json.loads(text))
