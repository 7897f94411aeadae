"""Reading an address into its parts (district … room, lamp post), from the address
field first and the text for what it lacks; full-width forms included."""

from __future__ import annotations

import pytest

from minsheng_common.reference import load_reference
from minsheng_intake import address
from minsheng_intake.places import Gazetteer

GAZETTEER = Gazetteer.from_reference(load_reference())


def parse(given: str | None, text: str = "", **kwargs: bool) -> address.ParsedAddress:
    return address.parse(gazetteer=GAZETTEER, address=given, text=text, **kwargs)


def test_a_full_address_gives_every_part_and_says_which() -> None:
    parsed = parse("深圳市坪山区马峦街道江岭社区黄谷路368号山水嘉园1栋三单元706房")

    assert parsed.district == "深圳市坪山区"
    assert (parsed.subdistrict_id, parsed.subdistrict) == ("maluan-jd", "马峦街道")
    assert parsed.community == "江岭社区"
    assert (parsed.road, parsed.number) == ("黄谷路", "368")
    assert parsed.estate == "山水嘉园"
    assert (parsed.building, parsed.unit, parsed.room) == ("1栋", "三单元", "706")
    assert parsed.found == (
        "district",
        "subdistrict",
        "community",
        "road",
        "number",
        "estate",
        "building",
        "unit",
        "room",
    )
    assert parsed.precise


def test_full_width_digits_and_letters_are_read_as_ascii() -> None:
    parsed = parse("龙田街道深汕路１２３号Ｂ座１２０３室")

    assert (parsed.road, parsed.number) == ("深汕路", "123")
    assert (parsed.building, parsed.room) == ("B座", "1203")


@pytest.mark.parametrize(
    ("text", "kind", "number"),
    [
        ("石井街道田心社区路灯编号 SJ-0231 不亮。", "lamp_post", "SJ-0231"),
        ("坑梓街道秀新社区12栋门口路灯SJ-0231不亮", "lamp_post", "SJ-0231"),
        ("坪山街道六和社区灯杆编号：ps-0078 的灯罩掉了", "lamp_post", "PS-0078"),
        ("龙田街道竹坑社区井盖编号JG-0032缺失，很危险", "manhole_cover", "JG-0032"),
        (
            "16栋电梯（设备编码为：1003788-6200-383653）频繁故障",
            "elevator",
            "1003788-6200-383653",
        ),
    ],
)
def test_a_lamp_post_or_component_number_is_found(
    text: str, kind: str, number: str
) -> None:
    parsed = parse(None, text)

    assert parsed.component == address.Component(kind=kind, number=number)
    assert parsed.precise


def test_a_year_after_a_lamp_is_no_lamp_post_number() -> None:
    parsed = parse(None, "坪山街道和平社区的路灯坏了2020年就报过")
    assert parsed.component is None


def test_the_text_fills_what_the_address_lacks_and_says_so() -> None:
    parsed = parse("坑梓街道秀新社区", "秀新路12号门口的垃圾桶三天没人清理")

    assert parsed.community == "秀新社区"
    assert (parsed.road, parsed.number) == ("秀新路", "12")
    assert parsed.found_in["community"] == "address"
    assert parsed.found_in["number"] == "text"


def test_an_empty_address_is_read_from_the_text() -> None:
    parsed = parse(None, "我们是碧岭街道杜鹃文苑小区的业主，小区外有人占道经营")

    assert parsed.subdistrict_id == "biling-jd"
    assert parsed.estate == "杜鹃文苑小区"
    assert parsed.found_in["estate"] == "text"


def test_two_roads_meeting_are_as_precise_as_a_number() -> None:
    parsed = parse(None, "碧岭街道杜鹃路和雷峰大道交界处的红绿灯坏了")

    assert parsed.junction == "杜鹃路和雷峰大道"
    assert parsed.precise


def test_a_named_premises_is_precise() -> None:
    parsed = parse(None, "龙田街道明发国际工地施工发生塌方")

    assert parsed.landmark == "明发国际工地"
    assert parsed.precise


@pytest.mark.parametrize(
    "text",
    [
        "坑梓街道秀新社区某小区门口垃圾桶三天没人清理",
        "六和社区我们小区门口路灯不亮",
        "龙田街道竹坑社区的路灯坏了好几天",
        "坪山大道一直堵车",
    ],
)
def test_only_district_subdistrict_community_or_road_is_not_precise(text: str) -> None:
    parsed = parse(None, text)

    assert not parsed.precise
    assert parsed.estate is None and parsed.number is None


def test_a_road_without_number_is_found_but_not_precise() -> None:
    parsed = parse("石井街道金龟社区金龟路")

    assert parsed.road == "金龟路"
    assert parsed.number is None
    assert not parsed.precise


def test_coordinates_from_the_channel_make_it_precise() -> None:
    parsed = parse(None, "坪山街道六和社区这里的井盖不见了", coordinates=True)

    assert parsed.coordinates
    assert parsed.found_in["coordinates"] == "coordinates"
    assert parsed.precise


def test_the_parts_are_kept_as_json() -> None:
    parsed = parse("石井街道田心社区路灯编号SJ-0231")

    kept = parsed.as_json()

    assert kept["component"] == {"kind": "lamp_post", "number": "SJ-0231"}
    assert kept["found"] == ["subdistrict", "community", "component"]
    assert kept["precise"] is True
