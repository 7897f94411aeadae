"""Routing with projects, first-handler rules, community and fallback rules, retired
units and categories, and its certainty (Art. 8, 12, 21, 25, 26, 43)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from minsheng_dispatch import routing
from minsheng_dispatch.routing import Project, Reason, Rule, RuleKind

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 9 March 2026, 10:00 Shanghai
EPOCH = datetime(2020, 11, 30, 16, 0, tzinfo=UTC)
OFFICES = frozenset({"kengzi-jd", "maluan-jd"})


def rule(rule_id: int, unit_id: str, **fields: object) -> Rule:
    values: dict[str, object] = {"category_id": "transport", "valid_from": EPOCH}
    values.update(fields)
    return Rule(id=rule_id, unit_id=unit_id, **values)  # type: ignore[arg-type]


def metro(**fields: object) -> Project:
    values: dict[str, object] = {
        "id": "p-1",
        "name": "地铁14号线坑梓站",
        "unit_id": "jtj",
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 6, 30),
        "subdistrict_id": "kengzi-jd",
        "community": "秀新社区",
        "road": "坑梓大道",
    }
    values.update(fields)
    return Project(**values)  # type: ignore[arg-type]


TABLE = [
    rule(1, "jtj"),
    rule(2, "jjdd", keyword="信号灯"),
    rule(3, "kengzi-jd", subdistrict_id="kengzi-jd"),
    rule(4, "cgj", subdistrict_id="kengzi-jd", community="秀新社区"),
]


def pick(
    rules: list[Rule] | None = None,
    *,
    category_id: str | None = "transport",
    subdistrict_id: str | None = "kengzi-jd",
    community: str | None = None,
    text: str = "",
    address: str | None = None,
    at: datetime = NOW,
    projects: tuple[Project, ...] = (),
    retired_units: frozenset[str] = frozenset(),
    retired_categories: frozenset[str] = frozenset(),
) -> routing.Route:
    return routing.pick_unit(
        rules=TABLE if rules is None else rules,
        category_id=category_id,
        subdistrict_id=subdistrict_id,
        community=community,
        text=text,
        address=address,
        at=at,
        subdistrict_units=OFFICES,
        fallback_unit="center",
        projects=projects,
        retired_units=retired_units,
        retired_categories=retired_categories,
    )


def test_project_on_the_appeals_road_while_works_run_comes_first() -> None:
    route = pick(
        text="施工噪音扰民，信号灯也坏了", address="坑梓大道88号", projects=(metro(),)
    )

    assert route.unit_id == "jtj"
    assert route.reason is Reason.PROJECT
    assert route.project_id == "p-1"
    assert "地铁14号线坑梓站" in route.basis and "Art. 43" in route.basis
    assert route.certain


def test_project_in_the_appeals_community_while_works_run() -> None:
    route = pick(community="秀新社区", text="夜间施工", projects=(metro(road=None),))

    assert (route.reason, route.unit_id) == (Reason.PROJECT, "jtj")


def test_project_place_outside_its_dates_does_not_match() -> None:
    ended = metro(ends_on=date(2026, 3, 8))

    route = pick(address="坑梓大道88号", text="夜间施工", projects=(ended,))

    assert route.reason is not Reason.PROJECT
    assert route.unit_id == "kengzi-jd"


def test_project_named_in_the_text_matches_even_outside_its_dates() -> None:
    later = metro(starts_on=date(2026, 5, 1), unit_id="zjj")

    route = pick(
        subdistrict_id="maluan-jd", text="地铁14号线坑梓站围挡占道", projects=(later,)
    )

    assert (route.reason, route.unit_id) == (Reason.PROJECT, "zjj")
    assert "named in the text" in route.basis


def test_project_limited_to_categories_ignores_other_categories() -> None:
    limited = metro(category_ids=frozenset({"planning-construction"}))

    other = pick(address="坑梓大道88号", projects=(limited,))
    its_own = pick(
        category_id="planning-construction", address="坑梓大道88号", projects=(limited,)
    )

    assert other.reason is not Reason.PROJECT
    assert its_own.reason is Reason.PROJECT


def test_project_of_a_retired_unit_is_not_chosen() -> None:
    route = pick(
        address="坑梓大道88号", projects=(metro(),), retired_units=frozenset({"jtj"})
    )

    assert route.reason is not Reason.PROJECT


def test_first_handler_rule_beats_a_keyword_and_a_place_rule_art_26() -> None:
    rules = [*TABLE, rule(5, "zjj", kind=RuleKind.FIRST_HANDLER)]

    route = pick(rules, text="信号灯坏了", community="秀新社区")

    assert (route.unit_id, route.rule_id) == ("zjj", 5)
    assert route.reason is Reason.FIRST_HANDLER
    assert "Art. 26" in route.basis
    assert route.certain


def test_first_handler_rule_with_keyword_applies_only_when_the_text_has_it() -> None:
    rules = [*TABLE, rule(5, "zjj", kind=RuleKind.FIRST_HANDLER, keyword="违建")]

    with_keyword = pick(rules, text="路边违建占道")
    without = pick(rules, text="路面破损")

    assert (with_keyword.reason, with_keyword.unit_id) == (Reason.FIRST_HANDLER, "zjj")
    assert without.reason is Reason.SUBDISTRICT


def test_project_beats_a_first_handler_rule() -> None:
    rules = [*TABLE, rule(5, "zjj", kind=RuleKind.FIRST_HANDLER)]

    route = pick(rules, address="坑梓大道1号", projects=(metro(),))

    assert route.reason is Reason.PROJECT


def test_community_rule_beats_the_subdistrict_rule() -> None:
    here = pick(community="秀新社区")
    elsewhere = pick(community="坑梓社区")

    assert (here.unit_id, here.reason) == ("cgj", Reason.COMMUNITY)
    assert (elsewhere.unit_id, elsewhere.reason) == ("kengzi-jd", Reason.SUBDISTRICT)
    assert here.certain and elsewhere.certain


def test_keyword_of_a_community_beats_a_district_wide_keyword() -> None:
    rules = [*TABLE, rule(5, "cgj", keyword="信号灯", community="秀新社区")]

    route = pick(rules, text="信号灯坏了", community="秀新社区")

    assert route.rule_id == 5


def test_fallback_rule_is_used_last_and_is_not_certain() -> None:
    rules = [
        rule(1, "cgj", category_id="city-sanitation", kind=RuleKind.FALLBACK),
        rule(2, "kengzi-jd", category_id="city-sanitation", subdistrict_id="kengzi-jd"),
    ]

    placed = pick(rules, category_id="city-sanitation")
    unplaced = pick(rules, category_id="city-sanitation", subdistrict_id=None)

    assert (placed.unit_id, placed.reason, placed.certain) == (
        "kengzi-jd",
        Reason.SUBDISTRICT,
        True,
    )
    assert (unplaced.unit_id, unplaced.reason) == ("cgj", Reason.FALLBACK_RULE)
    assert not unplaced.certain


def test_territorial_and_center_fallbacks_are_not_certain() -> None:
    territorial = pick(category_id=None)
    center = pick(category_id=None, subdistrict_id=None)

    assert territorial.reason is Reason.TERRITORIAL_FALLBACK
    assert center.reason is Reason.CENTER_FALLBACK
    assert not territorial.certain
    assert not center.certain


def test_every_certain_reason_is_a_rule_a_project_or_an_operator() -> None:
    assert {
        Reason.PROJECT,
        Reason.FIRST_HANDLER,
        Reason.KEYWORD,
        Reason.COMMUNITY,
        Reason.SUBDISTRICT,
        Reason.OPERATOR,
    } == routing.CERTAIN_REASONS


def test_category_default_is_not_certain_art_12() -> None:
    """The category's district-wide unit says who usually takes the category, not
    that this appeal is its: an operator confirms it from the queue."""
    route = pick(subdistrict_id="maluan-jd", text="道路破损")

    assert (route.unit_id, route.reason) == ("jtj", Reason.CATEGORY_DEFAULT)
    assert not route.certain


def test_rules_of_a_retired_unit_are_skipped() -> None:
    route = pick(community="秀新社区", retired_units=frozenset({"cgj"}))

    assert (route.unit_id, route.reason) == ("kengzi-jd", Reason.SUBDISTRICT)


def test_retired_subdistrict_office_is_no_territorial_fallback() -> None:
    route = pick(category_id=None, retired_units=frozenset({"kengzi-jd"}))

    assert (route.unit_id, route.reason) == ("center", Reason.CENTER_FALLBACK)


def test_retired_category_routes_as_no_category_art_8() -> None:
    route = pick(retired_categories=frozenset({"transport"}))

    assert (route.unit_id, route.reason) == ("kengzi-jd", Reason.TERRITORIAL_FALLBACK)
    assert "category transport is retired" in route.basis
    assert not route.certain


def test_operator_choice_is_certain_and_names_the_operator() -> None:
    route = routing.chosen_by_operator("swj", actor="operator:li", reason="积水")

    assert (route.unit_id, route.reason, route.rule_id) == (
        "swj",
        Reason.OPERATOR,
        None,
    )
    assert route.certain
    assert "operator:li" in route.basis and "积水" in route.basis


def test_a_closed_first_handler_rule_no_longer_applies() -> None:
    closed = rule(
        5, "zjj", kind=RuleKind.FIRST_HANDLER, valid_to=NOW - timedelta(hours=1)
    )

    route = pick([*TABLE, closed])

    assert route.reason is Reason.SUBDISTRICT
