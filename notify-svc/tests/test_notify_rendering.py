"""The wording of the acceptance notice (受理告知, Art. 28): Chinese text with no
spaces around the code and the unit's name, a refusal that reads naturally whatever
the unit wrote, and nothing invisible from the unit's message."""

from __future__ import annotations

import unicodedata

import pytest

from minsheng_common.reference import load_reference
from minsheng_notify import rendering
from minsheng_notify.errors import UnknownTemplate
from minsheng_notify.rendering import NoticeTexts


@pytest.fixture
def texts() -> NoticeTexts:
    return NoticeTexts.from_reference(load_reference())


def test_notify_acceptance_text_names_code_unit_and_message(texts: NoticeTexts) -> None:
    body = texts.acceptance(
        tracking_code="MS20261204000123",
        unit_id="cgj",
        accepted=True,
        message="  我单位已安排人员，三个工作日内处理 ",
    )

    assert body == (
        "【民生诉求】您的诉求（编号MS20261204000123）已由区城市管理和综合执法局"
        "受理：我单位已安排人员，三个工作日内处理。"
    )


def test_notify_acceptance_without_message_ends_the_sentence(
    texts: NoticeTexts,
) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="pingshan-jd", accepted=True, message=" "
    )

    assert body == "【民生诉求】您的诉求（编号MS1）已由坪山街道办事处受理。"


def test_notify_refusal_text_says_not_accepted(texts: NoticeTexts) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="jyj", accepted=False, message=""
    )

    assert body == "【民生诉求】您的诉求（编号MS1）经区教育局核实，不予受理。"


@pytest.mark.parametrize(
    ("message", "explained"),
    [
        ("经核实，该路段不属于本街道管辖。", "经核实，该路段不属于本街道管辖。"),
        ("不属于本单位职责", "不属于本单位职责。"),
        ("说明：已转交区住房和建设局！", "已转交区住房和建设局！"),
        ("请联系物业（电话见小区公告）", "请联系物业（电话见小区公告）。"),
        ("他说“已处理。”", "他说“已处理。”"),
    ],
)
def test_notify_refusal_reads_naturally_whatever_the_unit_wrote(
    texts: NoticeTexts, message: str, explained: str
) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="maluan-jd", accepted=False, message=message
    )

    assert body == (
        f"【民生诉求】您的诉求（编号MS1）经马峦街道办事处核实，不予受理。"
        f"说明：{explained}"
    )
    assert "核实，不予受理：" not in body


def test_notify_templates_put_no_space_next_to_chinese(texts: NoticeTexts) -> None:
    bodies = [
        texts.acceptance(
            tracking_code="MS20261204000123",
            unit_id=unit_id,
            accepted=accepted,
            message=message,
        )
        for unit_id in ("cgj", "pingshan-jd", "new-unit")
        for accepted in (True, False)
        for message in ("", "已安排处理")
    ]

    for body in bodies:
        assert " " not in body, body


def test_notify_unknown_unit_is_named_by_its_id(texts: NoticeTexts) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="new-unit", accepted=True, message="好的"
    )

    assert "已由new-unit受理：好的。" in body


def test_notify_text_is_not_html_escaped(texts: NoticeTexts) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="cgj", accepted=True, message="A&B <路段>"
    )

    assert body.endswith("：A&B <路段>。")


def test_notify_message_loses_control_and_format_characters(
    texts: NoticeTexts,
) -> None:
    message = "已安排\x00人员\u202e处理\u200b，\r\n明日到场\x1b[31m\ufeff"

    body = texts.acceptance(
        tracking_code="MS1", unit_id="cgj", accepted=True, message=message
    )

    assert body.endswith("受理：已安排人员处理，\n明日到场[31m。")
    assert not any(
        unicodedata.category(char) in ("Cc", "Cf") for char in body.replace("\n", "")
    )


def test_notify_printable_keeps_newlines_and_ordinary_text() -> None:
    assert rendering.printable("第一行\n第二行 A-1") == "第一行\n第二行 A-1"
    assert rendering.printable("\t\x07\u2066x\u2069\u00ad") == "x"


def test_notify_unknown_kind_has_no_template(texts: NoticeTexts) -> None:
    with pytest.raises(UnknownTemplate) as raised:
        texts.render("survey", tracking_code="MS1")

    assert raised.value.code == "unknown_template"


@pytest.mark.parametrize(
    ("contact", "body", "expected"),
    [
        ("13800138000", "请拨13800138000", "请拨138****8000"),
        ("+8613800138000", "请拨13800138000", "请拨+86 138****8000"),
        ("13800138000", "请拨+8613800138000", "请拨138****8000"),
        ("citizen@example.com", "回复至citizen@example.com", "回复至c***@example.com"),
        ("13800138000", "已受理", "已受理"),
    ],
)
def test_notify_body_never_keeps_the_contact(
    contact: str, body: str, expected: str
) -> None:
    assert rendering.without_contact(body, contact) == expected
