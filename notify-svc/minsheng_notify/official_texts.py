"""The wording of messages to units, agencies and leaders, and of the return visit:
one Jinja2 template per kind in `templates/`, filled here with words and local
times (Asia/Shanghai) as an office reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from minsheng_common.timeutil import local
from minsheng_notify.rendering import NoticeTexts, printable

URGING = "urging"
SUPERVISION = "supervision"
REMINDER_LETTER = "reminder_letter"
LEVEL_1_ALERT = "level_1_alert"
WARNING = "warning"
TELEPHONE_LETTER = "telephone_letter"
MORNING_REPORT = "morning_report"
RETURN_VISIT = "return_visit"

KINDS = (
    URGING,
    SUPERVISION,
    REMINDER_LETTER,
    LEVEL_1_ALERT,
    WARNING,
    TELEPHONE_LETTER,
    MORNING_REPORT,
    RETURN_VISIT,
)

DEADLINE_WORDS: dict[str, str] = {
    "sign_off": "签收",
    "handling": "办理",
    "acceptance_notice": "受理告知",
    "handling_notice": "办理告知",
    "staged_check": "阶段性办结复查",
    "reply_template": "答复模板报送",
}
STEP_WORDS: dict[str, str] = {
    "half": "已过半",
    "two_thirds": "已过三分之二",
    "overdue": "已超期",
}
LEVEL_WORDS: dict[int, str] = {1: "一", 2: "二", 3: "三"}
WARNING_WORDS: dict[str, str] = {
    "safety_hazard": "安全隐患",
    "high_frequency": "高频",
    "hotspot": "热点",
    "sensitive": "敏感",
}

REPEATED_KINDS = frozenset({"hotspot", "high_frequency"})
"""Warnings that count reports of the same event (Art. 23)."""

CODES_SHOWN = 5
"""Tracking codes named in a warning line; more are summed up as 等."""


def when(moment: datetime) -> str:
    """An instant as an office reads it: 2026年12月8日18:00, Shanghai time."""
    shown = local(moment)
    return f"{shown.year}年{shown.month}月{shown.day}日{shown:%H:%M}"


def day(moment: date) -> str:
    """A date as an office reads it: 2026年12月3日."""
    return f"{moment.year}年{moment.month}月{moment.day}日"


def deadline_words(kind: str) -> str:
    return DEADLINE_WORDS.get(kind, kind)


def urging(
    texts: NoticeTexts,
    *,
    unit: str,
    code: str,
    deadline_kind: str,
    step: str,
    level: int,
    due_at: datetime,
) -> str:
    """The urging message (催办, Art. 39), its level in words."""
    return texts.render(
        URGING,
        unit=unit,
        code=code,
        what=deadline_words(deadline_kind),
        step=step,
        step_words=STEP_WORDS.get(step, step),
        level=LEVEL_WORDS.get(level, str(level)),
        due=when(due_at),
    )


def supervision(
    texts: NoticeTexts,
    *,
    unit: str,
    center: str,
    listed_at: datetime,
    orders: Sequence[Mapping[str, str]],
) -> str:
    """The weekly overdue supervision list (督办, Art. 40); each order has code,
    what and due."""
    return texts.render(
        SUPERVISION,
        unit=unit,
        center=center,
        listed=when(listed_at),
        date=day(local(listed_at).date()),
        orders=[_clean(order) for order in orders],
    )


def reminder_letter(
    texts: NoticeTexts,
    *,
    unit: str,
    center: str,
    text: str,
    codes: Sequence[str],
    sent_at: datetime,
) -> str:
    """A reminder letter (催办函, Art. 40) in the operator's words."""
    return texts.render(
        REMINDER_LETTER,
        unit=unit,
        center=center,
        text=printable(text).strip(),
        codes=[printable(code) for code in codes],
        date=day(local(sent_at).date()),
    )


def level_1_alert(
    texts: NoticeTexts,
    *,
    to: str,
    code: str,
    title: str | None,
    place: str | None,
    category: str | None,
    basis: str | None,
    at: datetime,
) -> str:
    """A level-1 appeal, told at once (一级, Art. 9)."""
    return texts.render(
        LEVEL_1_ALERT,
        to=to,
        code=code,
        title=_optional(title),
        place=_optional(place),
        category=_optional(category),
        basis=_optional(basis),
        at=when(at),
    )


def warning(
    texts: NoticeTexts,
    *,
    to: str,
    kind: str,
    place: str | None,
    count: int,
    window_hours: int | None,
    codes: Sequence[str],
    at: datetime,
) -> str:
    """A warning (预警, Art. 23) with the appeals that make it up."""
    return texts.render(
        WARNING,
        to=to,
        kind_name=WARNING_WORDS.get(kind, kind),
        repeated=kind in REPEATED_KINDS,
        place=_optional(place),
        count=count,
        window_hours=window_hours,
        codes=list(codes[:CODES_SHOWN]),
        at=when(at),
    )


def telephone_letter(texts: NoticeTexts, *, to: str, center: str, about: str) -> str:
    """The record of a telephone letter (电函, Art. 23) about an urgent case."""
    return texts.render(TELEPHONE_LETTER, to=to, center=center, about=about)


def morning_report(texts: NoticeTexts, content: Mapping[str, Any]) -> str:
    """The morning report (民生诉求每日早报) from its content: `covers` and the
    `level_1`, `warnings` and `overdue` items."""
    return texts.render(
        MORNING_REPORT,
        covers=content["covers"],
        level_1=content["level_1"],
        warnings=content["warnings"],
        overdue=content["overdue"],
    )


def return_visit(texts: NoticeTexts, *, code: str, unit: str, link: str) -> str:
    """The return-visit survey (回访, Art. 30) with its link."""
    return texts.render(RETURN_VISIT, code=code, unit=unit, link=link)


def _optional(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = printable(value).strip()
    return cleaned or None


def _clean(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: printable(value) if isinstance(value, str) else value
        for name, value in item.items()
    }
