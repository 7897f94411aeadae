"""The kinds of event the cameras' models detect, and what each is in the district's
terms: a name for people and a category of the reference data (Art. 8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal


@dataclass(frozen=True)
class Kind:
    name: str
    """What a clerk calls it."""
    category: str
    """The category hint sent to intake."""


EventKind = Literal[
    "street_vending",
    "overflowing_bin",
    "exposed_garbage",
    "illegal_parking",
    "road_damage",
    "waterlogging",
]

KINDS: Final[Mapping[EventKind, Kind]] = MappingProxyType(
    {
        "street_vending": Kind("占道经营", "city-sanitation"),
        "overflowing_bin": Kind("垃圾桶满溢", "city-sanitation"),
        "exposed_garbage": Kind("暴露垃圾", "city-sanitation"),
        "illegal_parking": Kind("违章停车", "transport"),
        "road_damage": Kind("道路破损", "municipal-facilities"),
        "waterlogging": Kind("道路积水", "environment-water"),
    }
)
"""Every kind a detection may name; another is refused (422, field `kind`)."""
