"""Where a problem is: subdistrict (街道), community (社区) and, when known, the
finer parts of the address (estate, building, road and number, lamp post or
component number), and whether two places can be the same.

The address parser of intake gives the parts of a new appeal; for appeals already
stored, and when the parser found nothing, `parts_in` reads the common forms from the
text (碧桂园小区, 3栋, 丹梓大道18号, SJ-0231). Those forms are taken out of the
text before its words are compared, so that two problems at one place do not look
alike only because both name the place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ESTATE = "estate"
BUILDING = "building"
ROAD = "road"
NUMBER = "number"
LAMP_POST = "lamp_post"
COMPONENT = "component"
JUNCTION = "junction"
LANDMARK = "landmark"

# Two places that disagree on any of these are different places.
CONFLICTING_PARTS = (LAMP_POST, COMPONENT, ESTATE, LANDMARK, BUILDING, ROAD, JUNCTION)
# Two places that agree on one of these are the same spot.
PRECISE_PARTS = (LAMP_POST, COMPONENT, ESTATE, LANDMARK, JUNCTION)
# Written after a building's number: 3栋, 5座, 2号楼.
_BUILDING_SUFFIXES = ("号楼", "栋", "座", "幢")

_ESTATE_SUFFIXES = (
    "小区",
    "花园",
    "花苑",
    "家园",
    "新村",
    "公寓",
    "雅苑",
    "华庭",
    "名苑",
    "山庄",
    "大厦",
    "新城",
    "公馆",
    "华府",
    "苑",
)
# A name holds none of these: "我家小区", "车辆乱停把小区门口堵了" name no estate.
_NOT_IN_NAMES = "的了把被是在我你他她这那某该本个们住停堵乱门号栋"
# An estate name starts the text, or follows a non-Chinese character or a word that
# introduces a place (秀新社区碧桂园小区, 住在碧桂园小区).
_ESTATE = re.compile(
    r"(?:^|(?<=[^\u4e00-\u9fff])|(?<=社区)|(?<=街道)|(?<=位于)|(?<=在)|(?<=住)|(?<=号))"
    rf"((?![{_NOT_IN_NAMES}])[\u4e00-\u9fffA-Za-z]"
    rf"(?:(?![{_NOT_IN_NAMES}])[\u4e00-\u9fffA-Za-z0-9]){{1,5}}?)"
    r"(" + "|".join(_ESTATE_SUFFIXES) + ")"
)
_ROAD_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,6}(?:大道|大街|路|街|巷))(\d+)号")
_BUILDING = re.compile(r"(\d+)\s*(?:栋|幢|号楼|座)")
_LAMP_POST = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,4}-?\d{3,6}(?:-\d{1,4})?)(?!\d)")
# Subdistrict and community names of two characters, when the gazetteer's own list
# is not given (坑梓街道, 秀新社区).
_ADMINISTRATIVE = re.compile(r"[\u4e00-\u9fff]{2}(?:街道|社区)")


@dataclass(frozen=True)
class Place:
    """Where a problem is; `parts` uses the keys above (others are kept, unused)."""

    subdistrict_id: str | None = None
    community: str | None = None
    parts: Mapping[str, str] = field(default_factory=dict)


def parts_from_parsed(parsed: Mapping[str, Any] | None) -> dict[str, str]:
    """The parts of intake's address parser (`ParsedAddress.as_json()`, kept on the
    appeal as `address_parts`) under the keys used here."""
    if not parsed:
        return {}
    found = {
        key: str(parsed[key]).strip()
        for key in (ROAD, NUMBER, ESTATE, LANDMARK, JUNCTION, BUILDING)
        if parsed.get(key)
    }
    component = parsed.get("component")
    if isinstance(component, Mapping) and component.get("number"):
        number = str(component["number"]).strip().upper()
        if component.get("kind") == LAMP_POST:
            found[LAMP_POST] = number
        else:
            found[COMPONENT] = f"{component.get('kind')}:{number}"
    return found


def parts_in(text: str) -> dict[str, str]:
    """The address parts the text names in the common written forms, the first of
    each kind."""
    text = _ADMINISTRATIVE.sub("，", _clean(text))
    found: dict[str, str] = {}
    post = _LAMP_POST.search(text)
    if post:
        found[LAMP_POST] = post.group(1).upper()
    road = _ROAD_NUMBER.search(text)
    if road:
        found[ROAD] = road.group(1)
        found[NUMBER] = road.group(2)
    estate = _ESTATE.search(text)
    if estate:
        found[ESTATE] = estate.group(1)
    building = _BUILDING.search(text)
    if building:
        found[BUILDING] = building.group(1)
    return found


def without_places(text: str, names: Iterable[str] = ()) -> str:
    """The text with place names and address forms replaced by a comma, so what is
    left says what the problem is, not where."""
    text = _clean(text)
    for name in sorted(set(names), key=len, reverse=True):
        if name:
            text = text.replace(name, "，")
    for pattern in (_ADMINISTRATIVE, _LAMP_POST, _ROAD_NUMBER, _ESTATE, _BUILDING):
        text = pattern.sub("，", text)
    return text


def agreement(
    a: Place, b: Place, *, precise: float, community: float, subdistrict: float
) -> float:
    """0 when the places cannot be the same (another subdistrict, community, estate,
    building, road or lamp post, or no subdistrict known); otherwise the factor for
    how precisely they are known to agree."""
    if a.subdistrict_id is None or a.subdistrict_id != b.subdistrict_id:
        return 0.0
    if a.community and b.community and a.community != b.community:
        return 0.0
    for key in CONFLICTING_PARTS:
        left, right = a.parts.get(key), b.parts.get(key)
        if left and right and not _same_part(left, right):
            return 0.0
    if _precise_match(a, b):
        return precise
    if a.community and a.community == b.community:
        return community
    return subdistrict


def _precise_match(a: Place, b: Place) -> bool:
    """Whether both name the same lamp post, component or estate (conflicts were
    ruled out before), or the same road and house number."""
    if any(a.parts.get(key) and b.parts.get(key) for key in PRECISE_PARTS):
        return True
    # A road and house number agree only together.
    road = a.parts.get(ROAD) and b.parts.get(ROAD)
    number = a.parts.get(NUMBER) and b.parts.get(NUMBER)
    return bool(road and number and a.parts[NUMBER] == b.parts[NUMBER])


def _same_part(left: str, right: str) -> bool:
    """Parts agree when one ends with the other, so 碧桂园 and 碧桂园小区, or a
    road read with a word before it (在丹梓大道), still agree."""
    left, right = _part_key(left), _part_key(right)
    return left.endswith(right) or right.endswith(left)


def _part_key(value: str) -> str:
    value = _clean(value).replace(" ", "").upper()
    for suffix in (*_ESTATE_SUFFIXES, *_BUILDING_SUFFIXES):
        if value.endswith(suffix) and len(value) > len(suffix):
            return value[: -len(suffix)]
    return value


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text)
