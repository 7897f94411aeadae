"""Finding the place and deciding whether an appeal is filed (Art. 11)."""

from __future__ import annotations

import pytest

from minsheng_common.reference import load_reference
from minsheng_intake import filing
from minsheng_intake.address import Component, ParsedAddress
from minsheng_intake.intake_rules import load_intake_rules
from minsheng_intake.places import Gazetteer, PlaceMatch

GAZETTEER = Gazetteer.from_reference(load_reference())


def test_a_community_names_its_subdistrict() -> None:
    match = GAZETTEER.locate(address=None, text="六和社区某小区门口路灯不亮")
    assert (match.subdistrict_id, match.community) == ("pingshan-jd", "六和社区")
    assert match.found_in == "text"


def test_the_address_field_wins_over_the_text() -> None:
    match = GAZETTEER.locate(address="龙田街道竹坑社区", text="我住在坑梓街道")
    assert match.subdistrict_id == "longtian-jd"
    assert match.found_in == "address"


def test_the_earliest_subdistrict_in_the_text_is_taken() -> None:
    match = GAZETTEER.locate(address=None, text="碧岭街道到石井街道的公交线路")
    assert match.subdistrict_id == "biling-jd"
    assert match.community is None


def test_naming_only_the_district_is_not_precise() -> None:
    match = GAZETTEER.locate(address=None, text="深圳市坪山区的公交太少")
    assert not match.precise
    assert match.district_named


def test_no_place_at_all() -> None:
    match = GAZETTEER.locate(address=None, text="K8县丁字街的商户乱摆摊")
    assert match == PlaceMatch()


PLACE = PlaceMatch(subdistrict_id="maluan-jd", district_named=True, found_in="text")
RULES = load_intake_rules().editions[-1].filing


def facts(**changes: object) -> filing.Facts:
    """A complaint meeting every requirement, with the changes given."""
    given: dict[str, object] = {
        "appeal_type": "complaint",
        "title": "路灯不亮",
        "content": "马峦街道江岭社区路灯编号 ML-0032 不亮，晚上很黑。",
        "has_contact": True,
        "contact_error": None,
        "place": PLACE,
        "address": ParsedAddress(
            subdistrict_id="maluan-jd", component=Component("lamp_post", "ML-0032")
        ),
    }
    given.update(changes)
    return filing.Facts(**given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"has_contact": False}, filing.Reason.MISSING_CONTACT),
        (
            {"contact_error": "not a valid telephone number"},
            filing.Reason.INVALID_CONTACT,
        ),
        ({"content": ""}, filing.Reason.MISSING_CONTENT),
        (
            {"place": PlaceMatch(district_named=True)},
            filing.Reason.ADDRESS_NOT_PRECISE,
        ),
        ({"place": PlaceMatch()}, filing.Reason.NO_PLACE_IN_DISTRICT),
    ],
)
def test_each_missing_requirement_has_its_own_reason_and_article(
    changes: dict[str, object], reason: filing.Reason
) -> None:
    decision = filing.decide(facts(**changes), RULES)
    assert not decision.filed
    assert decision.reason is reason
    assert decision.article is not None and decision.article.startswith("Art. 11")
    assert decision.detail


def test_an_appeal_meeting_every_requirement_is_filed() -> None:
    decision = filing.decide(facts(), RULES)
    assert decision.filed
    assert decision.reason is None and decision.article is None
