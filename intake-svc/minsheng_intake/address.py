"""Reading an address into its parts: district, subdistrict (街道), community (社区),
road and house number (深汕路123号), estate (小区, 花园, 苑, 城, 公寓…), building
(栋, 座, 幢, 号楼), unit (单元), room (室, 房), and the number of a lamp post or
another public component (路灯杆号 SJ-0231, 井盖编号…).

The address field is read first; the title and content fill the parts it lacks
(an address left empty is read from the text alone). District, subdistrict and
community come from the gazetteer of the reference data; the finer parts from the
way Chinese addresses are written. Which parts were found, and where, is kept with
the appeal, so a clerk sees why an address counts as precise (Art. 11(2)3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from minsheng_intake import normalise
from minsheng_intake.places import Gazetteer, PlaceMatch

# Characters that can be part of a name: letters and Chinese characters, but not
# the small words that end or begin a name in running text (的, 在, 到…).
_STOPS = (
    "的在于与是到至往从住近旁边附对向我你他她它们了个有及或被把将跟也都就还不没未很太"
)
_NAME = rf"[^\W\d_{_STOPS}]"
# Something that is a place name for other places: any "…街道" is masked like the
# gazetteer's names, so its 街 is not read as a road.
_OTHER_SUBDISTRICT = re.compile(rf"{_NAME}{{1,6}}街道")
_MASK = "|"

# 路 ends a road name unless it begins another word: 路灯, 路口, 路面, 路段…
_ROAD = re.compile(
    rf"(?P<road>{_NAME}{{1,8}}?(?:大道|路(?![灯口面边段旁上过人线费况由途径牌标])|街(?![坊头边])|巷))"
)
_ROAD_NAME = _ROAD.pattern.replace("(?P<road>", "(?:")
# Two roads and where they meet: "杜鹃路和雷峰大道交界处" is as precise as a number.
_JUNCTION = re.compile(
    rf"(?P<junction>{_ROAD_NAME}\s*[与和及同、跟]\s*{_ROAD_NAME})\s*"
    r"(?:交叉口|交叉路口|十字路口|路口|交界处|交界|交汇处|交口)"
)
_HOUSE_NUMBER = re.compile(r"\s*(?P<number>\d+(?:[-之]\d+)?)\s*号(?![楼院线码])")

_ESTATE = re.compile(
    rf"(?P<estate>{_NAME}{{2,10}}(?:小区|花园|家园|嘉园|佳园|雅园|名园|新村|山庄|公寓|大厦|郡|苑|城(?![市管区乡镇中际建墙门])))"
)
# A named premises: a company, school, hospital, site, market… With the subdistrict it
# is found as surely as by a house number.
_LANDMARK = re.compile(
    rf"(?P<landmark>{_NAME}{{2,12}}?(?:有限公司|公司|集团|学校|小学|中学|大学|学院|幼儿园|"
    r"医院|卫生院|诊所|工地|项目部|工厂|厂|商行|超市|商场|市场|酒店|宾馆|饭店|餐厅|KTV|网吧|"
    r"火车站|高铁站|地铁站|汽车站|加油站|检测站|公园|景区|广场|银行|派出所|工业园|产业园|"
    r"管理局|分局|委员会|居委会|村委会|计生办|城管办|管理所|管理处|服务中心|国土所|"
    r"卫计生委|卫计委|卫健委|人社局|社保局|国土局|住建局|教育局|交通局|城管局|环保局|水务局))"
)
# Words that point at an estate without naming it: "某小区", "我们小区".
_VAGUE = re.compile(
    r"^(?:某|该|本|此|这个|那个|这家|那家|一家|一个|这|那|我们|我家|我|周边|周围|整个|各个|各|多个|几个|所在|住宅|高层)+"
)

_BUILDING = re.compile(
    r"(?P<building>(?:\d+|[A-Za-z]|[东南西北])\s*(?:栋|座|幢|号楼)|[一二三四五六七八九十]+号楼)"
)
_ROOM_AFTER_BUILDING = re.compile(r"\s*(?P<room>\d{3,5})(?![\d号元年月日天个])")
_UNIT = re.compile(r"(?P<unit>(?:\d+|[一二三四五六七八九十]+)\s*单元)")
_ROOM = re.compile(r"(?P<room>\d{2,5})\s*(?:室|房(?![东租子间屋价产源]))")

_COMPONENT_KINDS = (
    ("路灯杆", "lamp_post"),
    ("路灯", "lamp_post"),
    ("灯杆", "lamp_post"),
    ("井盖", "manhole_cover"),
    ("消防栓", "hydrant"),
    ("消火栓", "hydrant"),
    ("配电箱", "power_box"),
    ("电箱", "power_box"),
    ("电梯", "elevator"),
    ("信号灯", "traffic_light"),
    ("设备", "component"),
)
_KIND_WORDS = "|".join(word for word, _kind in _COMPONENT_KINDS)
_CODE = r"[A-Za-z]{1,4}[-_]?\d{2,}(?:-\d+)*"
# A component named, then a number word (编号, 杆号…) and any number; or a component
# named and a lettered code right after it (路灯SJ-0231).
_COMPONENT_NUMBERED = re.compile(
    rf"(?P<kind>{_KIND_WORDS})[^，。；;,\n]{{0,6}}?(?:编号|编码|杆号|号码)"
    rf"[\s:：为是]*(?P<number>{_CODE}|\d{{3,}}(?:-\d+)*)"
)
_COMPONENT_CODED = re.compile(
    rf"(?P<kind>{_KIND_WORDS})[^，。；;,\n\dA-Za-z]{{0,4}}?\s*(?P<number>{_CODE})"
)

PARTS = (
    "district",
    "subdistrict",
    "community",
    "road",
    "junction",
    "number",
    "estate",
    "landmark",
    "building",
    "unit",
    "room",
    "component",
    "coordinates",
)
"""Every part an address can have, from the widest to the finest."""

PRECISE_PARTS = frozenset(
    {
        "number",
        "junction",
        "estate",
        "landmark",
        "building",
        "unit",
        "room",
        "component",
        "coordinates",
    }
)
"""Parts that make an address precise (Art. 11(2)3): the house number (门牌) or
the junction of two roads, the estate (the regulation's own example stops at 小区),
a named premises (company, school, hospital, site, market…), building, unit or
room, the number of a lamp post or other component, or a position given by the
channel."""


@dataclass(frozen=True)
class Component:
    """A numbered public component: a lamp post, a manhole cover, an elevator…"""

    kind: str
    number: str


@dataclass(frozen=True)
class ParsedAddress:
    """The parts found, each with where it was found ("address" or "text")."""

    district: str | None = None
    subdistrict_id: str | None = None
    subdistrict: str | None = None
    community: str | None = None
    road: str | None = None
    junction: str | None = None
    number: str | None = None
    estate: str | None = None
    landmark: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    component: Component | None = None
    coordinates: bool = False
    found_in: dict[str, str] = field(default_factory=dict)

    @property
    def found(self) -> tuple[str, ...]:
        """The names of the parts found, widest first."""
        return tuple(part for part in PARTS if self._has(part))

    @property
    def precise(self) -> bool:
        return any(self._has(part) for part in PRECISE_PARTS)

    @property
    def finest(self) -> str | None:
        """The finest part found, for the evidence of a decision."""
        found = self.found
        return found[-1] if found else None

    def _has(self, part: str) -> bool:
        value = getattr(self, "subdistrict_id" if part == "subdistrict" else part)
        return bool(value)

    def describe(self) -> str:
        """The parts found, as a clerk reads them: 坑梓街道 秀新社区 秀新路12号."""
        words = [
            self.district,
            self.subdistrict,
            self.community,
            f"{self.road or ''}{self.number + '号' if self.number else ''}" or None,
            f"{self.junction}路口" if self.junction else None,
            self.estate,
            self.landmark,
            self.building,
            self.unit,
            f"{self.room}室" if self.room else None,
            f"{self.component.number}" if self.component else None,
            "坐标" if self.coordinates else None,
        ]
        return " ".join(word for word in words if word)

    def as_json(self) -> dict[str, Any]:
        """What the appeal keeps (a JSON column)."""
        return {
            "district": self.district,
            "subdistrict_id": self.subdistrict_id,
            "subdistrict": self.subdistrict,
            "community": self.community,
            "road": self.road,
            "junction": self.junction,
            "number": self.number,
            "estate": self.estate,
            "landmark": self.landmark,
            "building": self.building,
            "unit": self.unit,
            "room": self.room,
            "component": (
                {"kind": self.component.kind, "number": self.component.number}
                if self.component
                else None
            ),
            "coordinates": self.coordinates,
            "found": list(self.found),
            "found_in": dict(self.found_in),
            "precise": self.precise,
        }


def parse(
    *,
    gazetteer: Gazetteer,
    address: str | None,
    text: str = "",
    coordinates: bool = False,
    place: PlaceMatch | None = None,
) -> ParsedAddress:
    """The parts of an address, filled from the text where the address lacks them.

    `place` is the gazetteer's match already made for the appeal (subdistrict and
    community); without it, the gazetteer is asked here.
    """
    address = normalise.text(address)
    text = normalise.text(text)
    if place is None:
        place = gazetteer.locate(address=address or None, text=text)

    parts: dict[str, Any] = {}
    found_in: dict[str, str] = {}
    for source_name, source in (("address", address), ("text", text)):
        if not source:
            continue
        for part, value in _fine_parts(gazetteer, source).items():
            if part not in parts:
                parts[part] = value
                found_in[part] = source_name

    district = _district(gazetteer, address) or _district(gazetteer, text)
    if district is not None:
        found_in["district"] = "address" if district in address else "text"
    if place.subdistrict_id is not None and place.found_in:
        found_in["subdistrict"] = place.found_in
        if place.community is not None:
            found_in["community"] = place.found_in
    if coordinates:
        found_in["coordinates"] = "coordinates"

    parsed = ParsedAddress(
        district=district,
        subdistrict_id=place.subdistrict_id,
        subdistrict=gazetteer.subdistrict_name(place.subdistrict_id),
        community=place.community,
        coordinates=coordinates,
        found_in=found_in,
    )
    return replace(parsed, **parts)


def _district(gazetteer: Gazetteer, source: str) -> str | None:
    named = [name for name in gazetteer.district_names if name in source]
    return max(named, key=len) if named else None


def _fine_parts(gazetteer: Gazetteer, source: str) -> dict[str, Any]:
    """Road, number, estate, building, unit, room and component of one source."""
    parts: dict[str, Any] = {}
    masked = gazetteer.mask_names(source, _MASK)
    masked = _OTHER_SUBDISTRICT.sub(lambda m: _MASK * len(m.group()), masked)

    component = _component(masked)
    if component is not None:
        parts["component"] = component

    junction = _JUNCTION.search(masked)
    if junction is not None:
        parts["junction"] = re.sub(r"\s+", "", junction.group("junction"))

    for road_match in _ROAD.finditer(masked):
        road = _VAGUE.sub("", road_match.group("road"))
        if len(road) < 2 or "小区" in road or "门口" in road:
            continue
        number = _HOUSE_NUMBER.match(masked, road_match.end())
        end = number.end() if number is not None else road_match.end()
        # The road is not also read as the start of an estate's name.
        masked = (
            masked[: road_match.start()]
            + _MASK * (end - road_match.start())
            + masked[end:]
        )
        if number is not None:
            parts["road"] = road
            parts["number"] = number.group("number")
            break
        parts.setdefault("road", road)

    for estate_match in _ESTATE.finditer(masked):
        name = estate_match.group("estate")
        unprefixed = _VAGUE.sub("", name)
        if len(unprefixed) - _suffix_length(unprefixed) >= 2:
            parts["estate"] = unprefixed
            break

    for landmark_match in _LANDMARK.finditer(masked):
        name = _VAGUE.sub("", landmark_match.group("landmark"))
        if len(name) >= 4 and name != parts.get("estate"):
            parts["landmark"] = name
            break

    building = _BUILDING.search(masked)
    if building is not None:
        parts["building"] = re.sub(r"\s+", "", building.group("building"))
        room = _ROOM_AFTER_BUILDING.match(masked, building.end())
        if room is not None:
            parts["room"] = room.group("room")
    unit = _UNIT.search(masked)
    if unit is not None:
        parts["unit"] = re.sub(r"\s+", "", unit.group("unit"))
    if "room" not in parts:
        room = _ROOM.search(masked)
        if room is not None:
            parts["room"] = room.group("room")
    return parts


_LONG_SUFFIXES = (
    "小区",
    "花园",
    "家园",
    "嘉园",
    "佳园",
    "雅园",
    "名园",
    "新村",
    "山庄",
    "公寓",
    "大厦",
)


def _suffix_length(name: str) -> int:
    for suffix in _LONG_SUFFIXES:
        if name.endswith(suffix):
            return len(suffix)
    return 1


def _component(source: str) -> Component | None:
    for pattern in (_COMPONENT_NUMBERED, _COMPONENT_CODED):
        found = pattern.search(source)
        if found is not None:
            kind = dict(_COMPONENT_KINDS)[found.group("kind")]
            return Component(kind=kind, number=found.group("number").upper())
    return None
