"""Every filing requirement (Art. 11(2)) and every reason for not filing (Art.
11(3)) with its own code, article and evidence, each on a real-looking appeal; the
checks run in order and the first that fails names the reason."""

from __future__ import annotations

import pytest

from minsheng_common.reference import load_reference
from minsheng_common.rules import AppealType
from minsheng_intake import address, filing, normalise
from minsheng_intake.intake_rules import load_intake_rules
from minsheng_intake.places import Gazetteer

GAZETTEER = Gazetteer.from_reference(load_reference())
EDITION = load_intake_rules().editions[-1]
RULES = EDITION.filing


def decide(
    content: str,
    *,
    title: str = "",
    appeal_type: AppealType = "complaint",
    where: str | None = None,
    contact: bool = True,
    contact_error: str | None = None,
    coordinates: bool = False,
) -> filing.FilingDecision:
    """The decision intake takes on these texts, read as intake reads them."""
    title, content = normalise.text(title), normalise.text(content)
    text = f"{title}\n{content}"
    place = GAZETTEER.locate(address=where, text=text)
    parsed = address.parse(
        gazetteer=GAZETTEER,
        address=where,
        text=text,
        coordinates=coordinates,
        place=place,
    )
    return filing.decide(
        filing.Facts(
            appeal_type=appeal_type,
            title=title,
            content=content,
            has_contact=contact,
            contact_error=contact_error,
            place=place,
            address=parsed,
            address_text=where,
        ),
        RULES,
    )


def assert_not_filed(
    decision: filing.FilingDecision, reason: filing.Reason, article: str
) -> None:
    assert not decision.filed
    assert decision.reason is reason
    assert decision.article == article
    assert decision.evidence is not None and decision.evidence.found
    assert decision.detail and filing.EXPLANATIONS[reason] in decision.detail


LAMP = "石井街道田心社区路灯编号 SJ-0231 不亮，晚上走路很黑，请尽快维修。"


def test_a_complete_complaint_is_filed() -> None:
    assert decide(LAMP, title="路灯不亮").filed


# Art. 11(2)1: a real contact and a description.


def test_no_contact_is_missing_contact() -> None:
    decision = decide(LAMP, contact=False)
    assert_not_filed(decision, filing.Reason.MISSING_CONTACT, "Art. 11(2)1")
    assert decision.evidence == filing.Evidence("contact", "none given")


def test_a_number_that_is_no_phone_is_invalid_contact() -> None:
    decision = decide(LAMP, contact_error="not a valid telephone number")
    assert_not_filed(decision, filing.Reason.INVALID_CONTACT, "Art. 11(2)1")
    assert decision.evidence is not None
    assert decision.evidence.found == "not a valid telephone number"


def test_punctuation_only_is_missing_content() -> None:
    decision = decide("。。。！", title="路灯")
    assert_not_filed(decision, filing.Reason.MISSING_CONTENT, "Art. 11(2)1")


# Art. 11(3)2: a description that is not standard (unclear).


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ("锟斤拷锟斤拷锟斤拷烫烫烫", "garbled: 锟斤拷"),
        ("Ã¤Â½Â Ã¥Â¥Â½Ã¯Â¼ÂŒÃ¨Â·Â¯Ã§ÂÂ¯", "readable characters"),
        ("灯坏", "2 characters"),
        ("啊啊啊啊啊啊啊啊", "different characters"),
    ],
)
def test_garbled_too_short_or_repeated_text_is_unclear(
    content: str, found: str
) -> None:
    decision = decide(content)
    assert_not_filed(decision, filing.Reason.DESCRIPTION_UNCLEAR, "Art. 11(2)1, 11(3)2")
    assert decision.evidence is not None and found in decision.evidence.found


# Art. 11(3)3: no evident request.


@pytest.mark.parametrize(
    "content",
    [
        "您好，在吗？",
        "尊敬的领导您好！辛苦了！谢谢！",
        "太无语了！！！",
        "祝各位工作人员新年快乐，身体健康。",
    ],
)
def test_a_greeting_thanks_or_exclamation_has_no_evident_request(content: str) -> None:
    decision = decide(content, where="坪山街道六和社区和平路8号")
    assert_not_filed(decision, filing.Reason.NO_EVIDENT_REQUEST, "Art. 11(3)3")


@pytest.mark.parametrize(
    "content",
    [
        # Reported without asking: a problem word says it.
        "坑梓街道秀新社区秀新路12号门口的垃圾桶三天没人清理，气味很大。",
        # A question asks.
        "请问坪山街道六和社区和平路8号旁边的公交站什么时候恢复？",
        # A long account tells what happened by its length alone.
        "碧岭街道汤坑社区阳光丽城小区旁边的空地上，每天晚上十点以后都有一群人"
        "聚在一起打牌赌钱，大声喧哗到凌晨两三点，附近居民都睡不着觉。",
    ],
)
def test_a_report_or_question_is_an_evident_request(content: str) -> None:
    decision = decide(content)
    assert decision.reason is not filing.Reason.NO_EVIDENT_REQUEST


# Art. 11(3)4: law or litigation.


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (
            "坪山街道六和社区和平路8号的房东拖欠押金，我已起诉至法院，法院判决后"
            "他仍不执行，请政府帮忙催促。",
            "已起诉",
        ),
        (
            "坑梓街道金沙社区某电子厂拖欠我三个月工资，劳动仲裁委已经开庭，"
            "到现在还没有结果，请尽快处理。",
            "劳动仲裁",
        ),
        (
            "石井街道田心社区物业公司给我发了律师函，要我补交五年物业费，合理吗？",
            "律师函",
        ),
    ],
)
def test_a_matter_before_a_court_or_arbitrator_is_law_or_litigation(
    content: str, found: str
) -> None:
    decision = decide(content)
    assert_not_filed(decision, filing.Reason.LAW_LITIGATION, "Art. 11(3)4")
    assert decision.evidence == filing.Evidence("title, content", found)


def test_naming_a_court_as_a_landmark_is_not_litigation() -> None:
    decision = decide(
        "龙田街道龙田社区人民法院对面的人行道上井盖编号JG-0102缺失，很危险。"
    )
    assert decision.filed


# Art. 11(3)1: outside the district's powers.


def test_a_military_or_customs_matter_is_outside_the_districts_powers() -> None:
    decision = decide(
        "马峦街道坪环社区旁边的军事管理区围墙要扩建，能否把围墙外的小路留给居民通行？",
        appeal_type="consultation",
    )
    assert_not_filed(decision, filing.Reason.OUTSIDE_POWERS, "Art. 11(3)1, 11(3)7")
    assert decision.evidence == filing.Evidence("title, content", "军事管理区")


# Art. 11(3)7: outside the district's territory.


@pytest.mark.parametrize(
    ("where", "content", "found"),
    [
        (None, "龙岗区布吉街道吉华路口的红绿灯坏了两天，请尽快修复。", "龙岗区"),
        ("东莞市凤岗镇雁田村", "村口的路灯坏了一个月没人修，请处理。", "东莞市"),
    ],
)
def test_a_place_in_another_district_or_city_is_outside_the_territory(
    where: str | None, content: str, found: str
) -> None:
    decision = decide(content, where=where)
    assert_not_filed(decision, filing.Reason.OUTSIDE_TERRITORY, "Art. 11(3)7")
    assert decision.evidence is not None and decision.evidence.found == found


def test_another_district_named_beside_ours_is_not_outside() -> None:
    decision = decide(
        "坪山街道六和社区到龙岗区的公交线路太少，建议增加班次。",
        appeal_type="suggestion",
    )
    assert decision.filed


def test_no_place_at_all_is_no_place_in_the_district() -> None:
    decision = decide("小区门口的路灯坏了，晚上很黑，请尽快维修。")
    assert_not_filed(
        decision, filing.Reason.NO_PLACE_IN_DISTRICT, "Art. 11(3)2, 11(3)7"
    )


# Art. 11(2)2: a complaint names what it is about.


@pytest.mark.parametrize(
    "content",
    ["投诉坪山街道六和社区，请相关部门尽快处理！", "我要举报龙田街道竹坑社区的问题"],
)
def test_a_complaint_naming_only_a_place_has_no_subject(content: str) -> None:
    decision = decide(content)
    assert_not_filed(decision, filing.Reason.COMPLAINT_SUBJECT_MISSING, "Art. 11(2)2")


# Art. 11(2)3 and 11(3)2: a precise address.


def test_naming_only_the_district_is_not_precise_for_any_type() -> None:
    decision = decide(
        "深圳市坪山区的公交太少，建议增加班次。", appeal_type="suggestion"
    )
    assert_not_filed(decision, filing.Reason.ADDRESS_NOT_PRECISE, "Art. 11(2)3, 11(3)2")
    assert decision.evidence is not None
    assert "no subdistrict or community" in decision.evidence.found


@pytest.mark.parametrize(
    "where",
    [None, "龙田街道", "龙田街道竹坑社区", "龙田街道竹坑社区竹坑路"],
)
def test_a_complaint_placed_no_finer_than_a_road_is_not_precise(
    where: str | None,
) -> None:
    decision = decide("龙田街道竹坑社区的路灯坏了好几天了，晚上很黑。", where=where)
    assert_not_filed(decision, filing.Reason.ADDRESS_NOT_PRECISE, "Art. 11(2)3, 11(3)2")
    assert decision.evidence is not None
    assert "no house number" in decision.evidence.found


@pytest.mark.parametrize(
    "where",
    [
        "龙田街道竹坑社区竹坑路16号",
        "龙田街道竹坑社区竹坑花园3栋",
        "龙田街道竹坑社区路灯杆号LT-0415",
    ],
)
def test_a_house_number_building_or_lamp_post_is_precise(where: str) -> None:
    decision = decide("路灯坏了好几天了，晚上很黑。", where=where)
    assert decision.filed


def test_a_position_from_the_channel_makes_a_complaint_precise() -> None:
    decision = decide("龙田街道竹坑社区这里的路灯坏了好几天了。", coordinates=True)
    assert decision.filed


def test_a_consultation_is_placed_by_its_subdistrict() -> None:
    decision = decide(
        "请问坑梓街道的社区健康服务中心周末开门吗？", appeal_type="consultation"
    )
    assert decision.filed


# The order of the checks.


def test_the_first_failing_check_names_the_reason() -> None:
    # No contact, and also no evident request and no place: the contact is read
    # first.
    assert decide("您好", contact=False).reason is filing.Reason.MISSING_CONTACT
    # Litigation and an imprecise complaint address: litigation comes first.
    decision = decide("龙田街道竹坑社区邻居占用楼道，我已起诉至法院，请督促执行。")
    assert decision.reason is filing.Reason.LAW_LITIGATION


def test_the_checks_run_in_the_clerks_order() -> None:
    assert [check.__name__ for check in filing.CHECKS] == [
        "check_contact",
        "check_content",
        "check_clear",
        "check_evident_request",
        "check_territory",
        "check_place",
        "check_powers",
        "check_law",
        "check_complaint_subject",
        "check_precise",
    ]


# Every reason has its article, its plain words and its advice.


@pytest.mark.parametrize("reason", list(filing.Reason))
def test_every_reason_has_an_article_an_explanation_and_advice(
    reason: filing.Reason,
) -> None:
    assert filing.ARTICLES[reason].startswith("Art. 11(")
    assert filing.EXPLANATIONS[reason]
    advice = EDITION.advice_for(reason.value)
    assert advice and any("\u4e00" <= character <= "\u9fff" for character in advice)


def test_repeat_and_verification_reasons_cite_their_clauses() -> None:
    assert filing.ARTICLES[filing.Reason.REPEAT] == "Art. 11(3)5"
    for reason in (
        filing.Reason.VERIFICATION_ADDRESS_UNTRUE,
        filing.Reason.VERIFICATION_CONTENT_UNTRUE,
        filing.Reason.VERIFICATION_INVENTED,
    ):
        assert filing.ARTICLES[reason] == "Art. 11(3)6"


def test_quoted_evidence_masks_personal_data() -> None:
    decision = decide("你好，在吗？我电话13800012345")
    assert decision.reason is filing.Reason.NO_EVIDENT_REQUEST or decision.evidence
    assert decision.evidence is not None
    assert "13800012345" not in decision.evidence.found
