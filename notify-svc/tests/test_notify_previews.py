"""Template previews: every message kind has a Chinese template and sample values it
renders from, and the values a clerk gives replace the samples."""

from __future__ import annotations

from importlib import resources

import pytest

from minsheng_common.reference import load_reference
from minsheng_notify import previews
from minsheng_notify.errors import UnknownTemplate
from minsheng_notify.official_errors import TemplateValuesInvalid
from minsheng_notify.rendering import NoticeTexts


@pytest.fixture
def texts() -> NoticeTexts:
    return NoticeTexts.from_reference(load_reference())


def test_notify_every_template_has_sample_values_and_no_sample_lacks_one() -> None:
    folder = resources.files("minsheng_notify").joinpath("templates")
    templates = {
        entry.name.removesuffix(".txt.j2")
        for entry in folder.iterdir()
        if entry.name.endswith(".txt.j2")
    }

    assert templates == set(previews.kinds())


@pytest.mark.parametrize("kind", previews.kinds())
def test_notify_every_kind_previews_in_chinese_from_its_samples(
    texts: NoticeTexts, kind: str
) -> None:
    body, values = previews.preview(texts, kind, {})

    assert values == previews.SAMPLES[kind]
    assert any("\u4e00" <= char <= "\u9fff" for char in body)
    assert "{{" not in body and "{%" not in body


def test_notify_preview_morning_report_from_samples_is_exact(
    texts: NoticeTexts,
) -> None:
    body, _ = previews.preview(texts, "morning_report", {})

    assert body == (
        "【民生诉求每日早报】2026年12月3日\n"
        "一、一级诉求（1件）\n"
        "1. MS20261204000123 小区围墙出现裂缝并倾斜（坪山街道，安全管理）\n"
        "二、预警（1条）\n"
        "1. 热点：坪山街道24小时内6件（MS20261204000123等）\n"
        "三、超期未办结（1件）\n"
        "1. MS20261125000009 区水务局，办理时限2026年12月3日18:00届满"
    )


def test_notify_preview_values_replace_the_samples(texts: NoticeTexts) -> None:
    body, values = previews.preview(
        texts, "level_1_alert", {"to": "区应急管理局", "title": None}
    )

    assert values["to"] == "区应急管理局"
    assert body.startswith(
        "【一级民生诉求】区应急管理局：2026年12月4日09:30受理一级诉求"
    )
    assert "小区围墙" not in body


def test_notify_preview_refuses_unknown_kinds_and_values(texts: NoticeTexts) -> None:
    with pytest.raises(UnknownTemplate):
        previews.preview(texts, "../acceptance", {})
    with pytest.raises(TemplateValuesInvalid) as unknown:
        previews.preview(texts, "warning", {"cuont": 3})
    with pytest.raises(TemplateValuesInvalid):
        previews.preview(texts, "reminder_letter", {"codes": 7})

    assert unknown.value.field == "values.cuont"


def test_notify_preview_never_changes_the_samples(texts: NoticeTexts) -> None:
    before = previews.sample("urging")

    previews.preview(texts, "urging", {"level": "三"})

    assert previews.sample("urging") == before
