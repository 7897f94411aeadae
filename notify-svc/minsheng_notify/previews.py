"""Template previews: every message kind rendered from sample values, or from the
values a clerk gives, so the wording can be read before anything is sent.

The samples are made up and hold no personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateError

from minsheng_notify import official_texts, rendering
from minsheng_notify.errors import UnknownTemplate
from minsheng_notify.official_errors import TemplateValuesInvalid
from minsheng_notify.rendering import NoticeTexts

_CODE = "MS20261204000123"

SAMPLES: dict[str, dict[str, Any]] = {
    rendering.FILED: {"tracking_code": _CODE, "by_phone": True},
    rendering.REJECTED: {
        "tracking_code": _CODE,
        "reason": "地址不够具体，未写明街道、社区、小区或门牌号等",
        "earlier_code": None,
        "advice": "请补充街道、社区、小区及门牌号（或路灯杆号）后重新反映。",
    },
    rendering.INSTANT_ANSWER: {
        "tracking_code": _CODE,
        "answer": "社保卡可在各街道政务服务中心办理。",
    },
    rendering.ACCEPTANCE: {
        "tracking_code": _CODE,
        "unit": "区城市管理和综合执法局",
        "accepted": True,
        "message": "我单位已安排人员，三个工作日内处理。",
    },
    rendering.HANDLING: {
        "tracking_code": _CODE,
        "unit": "区城市管理和综合执法局",
        "message": "垃圾已清运，并已要求物业每日清理。",
    },
    official_texts.URGING: {
        "level": "二",
        "unit": "区城市管理和综合执法局",
        "code": _CODE,
        "what": "办理",
        "step": "two_thirds",
        "step_words": "已过三分之二",
        "due": "2026年12月8日18:00",
    },
    official_texts.SUPERVISION: {
        "unit": "区城市管理和综合执法局",
        "center": "区民生诉求服务中心",
        "listed": "2026年12月7日09:00",
        "date": "2026年12月7日",
        "orders": [
            {"code": _CODE, "what": "办理", "due": "2026年12月3日18:00"},
            {
                "code": "MS20261130000456",
                "what": "阶段性办结复查",
                "due": "2026年12月4日18:00",
            },
        ],
    },
    official_texts.REMINDER_LETTER: {
        "unit": "区城市管理和综合执法局",
        "center": "区民生诉求服务中心",
        "text": "贵单位办理的以下诉求已临近时限，群众多次来电反映，请高度重视。",
        "codes": [_CODE, "MS20261130000456"],
        "date": "2026年12月4日",
    },
    official_texts.LEVEL_1_ALERT: {
        "to": "区委政法委",
        "at": "2026年12月4日09:30",
        "code": _CODE,
        "title": "小区围墙出现裂缝并倾斜",
        "place": "坪山街道",
        "category": "安全管理",
        "basis": "可能危及公共安全",
    },
    official_texts.WARNING: {
        "kind_name": "热点",
        "repeated": True,
        "to": "区信访局",
        "place": "坪山街道",
        "window_hours": 24,
        "count": 6,
        "codes": [_CODE, "MS20261204000124", "MS20261204000125"],
        "at": "2026年12月4日10:00",
    },
    official_texts.TELEPHONE_LETTER: {
        "to": "区应急管理局",
        "center": "区民生诉求服务中心",
        "about": f"编号{_CODE}的一级民生诉求“小区围墙出现裂缝并倾斜”",
    },
    official_texts.MORNING_REPORT: {
        "covers": "2026年12月3日",
        "level_1": [
            {
                "code": _CODE,
                "title": "小区围墙出现裂缝并倾斜",
                "place": "坪山街道",
                "category": "安全管理",
            }
        ],
        "warnings": [
            {
                "kind_name": "热点",
                "place": "坪山街道",
                "window_hours": 24,
                "count": 6,
                "codes": [_CODE],
            }
        ],
        "overdue": [
            {
                "code": "MS20261125000009",
                "unit": "区水务局",
                "what": "办理",
                "due": "2026年12月3日18:00",
            }
        ],
    },
    official_texts.RETURN_VISIT: {
        "code": _CODE,
        "unit": "区城市管理和综合执法局",
        "link": "https://notify.example.invalid/v1/surveys/SampleLinkOnly",
    },
}
"""Sample values of every kind, in the shape its template reads."""


def kinds() -> list[str]:
    return sorted(SAMPLES)


def sample(kind: str) -> dict[str, Any]:
    """The sample values of `kind`; 422 `unknown_template` for another kind."""
    if kind not in SAMPLES:
        raise UnknownTemplate(
            f"no template for messages of kind '{kind}'", field="kind"
        )
    return dict(SAMPLES[kind])


def preview(
    texts: NoticeTexts, kind: str, values: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The text of `kind` with `values` over its samples, and the values used.

    A value the template does not read is refused, so a misspelt name is not
    silently ignored; values that do not fit (a list where text goes) are 422
    `template_values_invalid`.
    """
    merged = sample(kind)
    unknown = sorted(set(values) - set(merged))
    if unknown:
        raise TemplateValuesInvalid(
            f"the {kind} template reads no value named {unknown[0]!r}; it reads "
            + ", ".join(sorted(merged)),
            field=f"values.{unknown[0]}",
        )
    merged.update(values)
    try:
        body = texts.render(kind, **merged)
    except (TemplateError, TypeError) as error:
        raise TemplateValuesInvalid(
            f"the values do not fit the {kind} template: {error}", field="values"
        ) from None
    return body, merged
