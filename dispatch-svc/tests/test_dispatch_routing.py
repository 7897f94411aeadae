"""Routing as a pure function (Art. 6, 12, 21): the seeded table of the reference data,
precedence between rules, closed rules, and every fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_dispatch import routing, seeding
from minsheng_dispatch.routing import Reason, Rule

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
EPOCH = datetime(2020, 11, 30, 16, 0, tzinfo=UTC)
SUBDISTRICT_UNITS = frozenset(
    {"pingshan-jd", "maluan-jd", "biling-jd", "shijing-jd", "kengzi-jd", "longtian-jd"}
)


def seeded_rules() -> list[Rule]:
    """The routing table seeded from the packaged reference data, numbered 1…n."""
    reference = load_reference()
    valid_from = seeding.seeded_valid_from(load_rule_book())
    return [
        Rule(
            id=number,
            category_id=row.category_id,
            unit_id=row.unit_id,
            valid_from=row.valid_from,
            subdistrict_id=row.subdistrict_id,
            keyword=row.keyword,
        )
        for number, row in enumerate(
            seeding.routing_rules(reference, valid_from=valid_from), start=1
        )
    ]


def pick(
    rules: list[Rule] | None = None,
    *,
    category_id: str | None,
    subdistrict_id: str | None = "kengzi-jd",
    text: str = "",
    at: datetime = NOW,
) -> routing.Route:
    return routing.pick_unit(
        rules=seeded_rules() if rules is None else rules,
        category_id=category_id,
        subdistrict_id=subdistrict_id,
        text=text,
        at=at,
        subdistrict_units=SUBDISTRICT_UNITS,
        fallback_unit="center",
    )


def test_seeded_rules_start_on_the_first_editions_day_in_shanghai() -> None:
    valid_from = seeding.seeded_valid_from(load_rule_book())

    assert valid_from == EPOCH


def test_category_unit_of_a_known_place_is_certain_art_12() -> None:
    route = pick(category_id="education", text="学校门口拥堵")

    assert route.unit_id == "jyj"
    assert route.reason is Reason.SUBDISTRICT
    assert route.rule_id is not None
    assert "education in kengzi-jd" in route.basis and "jyj" in route.basis
    assert route.certain


def test_category_default_of_an_unknown_place_is_not_certain_art_12() -> None:
    route = pick(category_id="education", subdistrict_id=None, text="学校门口拥堵")

    assert route.unit_id == "jyj"
    assert route.reason is Reason.CATEGORY_DEFAULT
    assert "education" in route.basis and "jyj" in route.basis
    assert not route.certain


def test_keyword_example_routes_to_its_unit() -> None:
    route = pick(category_id="environment-water", text="小区门口污水横流，臭气熏天")

    assert route.unit_id == "swj"
    assert route.reason is Reason.KEYWORD
    assert "污水" in route.basis


def test_keyword_of_another_category_does_not_apply() -> None:
    route = pick(category_id="education", text="学校旁边污水横流")

    assert route.unit_id == "jyj"
    assert route.reason is Reason.SUBDISTRICT


def test_category_without_keyword_in_text_goes_to_its_unit() -> None:
    route = pick(category_id="environment-water", text="工厂夜间排放废气")

    assert route.unit_id == "sthjj"
    assert route.reason is Reason.SUBDISTRICT


def test_territorial_category_goes_to_the_subdistrict_office() -> None:
    route = pick(category_id="city-sanitation", subdistrict_id="maluan-jd")

    assert route.unit_id == "maluan-jd"
    assert route.reason is Reason.SUBDISTRICT


def test_category_without_default_unit_is_territorial() -> None:
    route = pick(category_id="rural", subdistrict_id="biling-jd")

    assert route.unit_id == "biling-jd"
    assert route.reason is Reason.SUBDISTRICT


def test_territorial_category_without_place_uses_its_default_unit() -> None:
    route = pick(category_id="city-sanitation", subdistrict_id=None)

    assert route.unit_id == "cgj"
    assert route.reason is Reason.CATEGORY_DEFAULT


def test_no_category_goes_to_the_subdistrict_office_art_21() -> None:
    route = pick(category_id=None, subdistrict_id="shijing-jd", text="污水")

    assert route.unit_id == "shijing-jd"
    assert route.reason is Reason.TERRITORIAL_FALLBACK
    assert route.rule_id is None
    assert "Art. 21" in route.basis


def test_no_category_and_no_place_goes_to_the_center() -> None:
    route = pick(category_id=None, subdistrict_id=None)

    assert route.unit_id == "center"
    assert route.reason is Reason.CENTER_FALLBACK
    assert "no subdistrict known" in route.basis


def test_unknown_subdistrict_falls_back_clearly() -> None:
    territorial = pick(category_id="rural", subdistrict_id="atlantis-jd")
    uncategorised = pick(category_id=None, subdistrict_id="atlantis-jd")
    with_default = pick(category_id="city-sanitation", subdistrict_id="atlantis-jd")

    assert territorial.unit_id == "center"
    assert territorial.reason is Reason.CENTER_FALLBACK
    assert "atlantis-jd is not a known unit" in territorial.basis
    assert "no rule of category rural applies" in territorial.basis
    assert uncategorised.unit_id == "center"
    assert with_default.unit_id == "cgj"
    assert with_default.reason is Reason.CATEGORY_DEFAULT


def test_unknown_category_falls_back_to_the_subdistrict() -> None:
    route = pick(category_id="no-such-category", subdistrict_id="kengzi-jd")

    assert route.unit_id == "kengzi-jd"
    assert route.reason is Reason.TERRITORIAL_FALLBACK
    assert "no rule of category no-such-category applies" in route.basis


def rule(rule_id: int, unit_id: str, **fields: object) -> Rule:
    values: dict[str, object] = {"category_id": "transport", "valid_from": EPOCH}
    values.update(fields)
    return Rule(id=rule_id, unit_id=unit_id, **values)  # type: ignore[arg-type]


def test_keyword_for_this_place_beats_a_district_wide_keyword() -> None:
    rules = [
        rule(1, "jtj"),
        rule(2, "jjdd", keyword="违停"),
        rule(3, "kengzi-jd", keyword="违停", subdistrict_id="kengzi-jd"),
    ]

    here = pick(
        rules, category_id="transport", text="路边违停", subdistrict_id="kengzi-jd"
    )
    there = pick(
        rules, category_id="transport", text="路边违停", subdistrict_id="maluan-jd"
    )

    assert (here.unit_id, here.rule_id) == ("kengzi-jd", 3)
    assert (there.unit_id, there.rule_id) == ("jjdd", 2)


def test_keyword_met_first_in_the_text_wins() -> None:
    rules = [
        rule(1, "jtj"),
        rule(2, "jjdd", keyword="信号灯"),
        rule(3, "cgj", keyword="路灯"),
    ]

    route = pick(rules, category_id="transport", text="路灯坏了，旁边信号灯也坏了")

    assert route.unit_id == "cgj"
    assert route.rule_id == 3


def test_closed_rule_no_longer_applies_but_did_before() -> None:
    closed_at = NOW - timedelta(days=1)
    rules = [
        rule(1, "jtj", valid_to=closed_at),
        rule(2, "zjj", valid_from=closed_at),
    ]

    now = pick(rules, category_id="transport")
    before = pick(rules, category_id="transport", at=closed_at - timedelta(seconds=1))

    assert (now.unit_id, now.rule_id) == ("zjj", 2)
    assert (before.unit_id, before.rule_id) == ("jtj", 1)


def test_rule_not_yet_in_force_is_ignored() -> None:
    rules = [rule(1, "jtj"), rule(2, "jjdd", keyword="违停", valid_from=NOW)]

    route = pick(
        rules, category_id="transport", text="违停", at=NOW - timedelta(hours=1)
    )

    assert route.unit_id == "jtj"


@pytest.mark.parametrize(
    ("category_id", "text", "unit_id"),
    [
        ("transport", "公交站台信号灯故障", "jjdd"),
        ("planning-construction", "楼顶违建", "ghzyj"),
        ("planning-construction", "小区电梯故障", "zjj"),
        ("environment-water", "暴雨后道路内涝", "swj"),
    ],
)
def test_seeded_examples_of_the_reference(
    category_id: str, text: str, unit_id: str
) -> None:
    assert pick(category_id=category_id, text=text).unit_id == unit_id


def test_seeded_table_has_one_territorial_rule_per_subdistrict() -> None:
    territorial = [
        r for r in seeded_rules() if r.category_id == "rural" and r.subdistrict_id
    ]

    assert {r.subdistrict_id for r in territorial} == SUBDISTRICT_UNITS
    assert all(r.unit_id == r.subdistrict_id for r in territorial)
    assert not [
        r for r in seeded_rules() if r.category_id == "rural" and not r.subdistrict_id
    ]
