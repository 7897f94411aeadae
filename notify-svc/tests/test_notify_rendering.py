"""The wording of the acceptance notice (受理告知, Art. 28)."""

from __future__ import annotations

import pytest

from minsheng_common.reference import load_reference
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
        "【民生诉求】您的诉求（编号 MS20261204000123）已由 区城市管理和综合执法局 "
        "受理：我单位已安排人员，三个工作日内处理"
    )


def test_notify_refusal_text_says_not_accepted(texts: NoticeTexts) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="jyj", accepted=False, message=""
    )

    assert body == "【民生诉求】您的诉求（编号 MS1）经 区教育局 核实，不予受理。"


def test_notify_unknown_unit_is_named_by_its_id(texts: NoticeTexts) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="new-unit", accepted=True, message="好的"
    )

    assert "已由 new-unit 受理：好的" in body


def test_notify_text_is_not_html_escaped(texts: NoticeTexts) -> None:
    body = texts.acceptance(
        tracking_code="MS1", unit_id="cgj", accepted=True, message="A&B <路段>"
    )

    assert body.endswith("：A&B <路段>")


def test_notify_unknown_kind_has_no_template(texts: NoticeTexts) -> None:
    with pytest.raises(UnknownTemplate) as raised:
        texts.render("survey", tracking_code="MS1")

    assert raised.value.code == "unknown_template"
