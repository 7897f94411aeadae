"""The parameters of classification, with the values of the edition in force from
2020-12-01. Integration fills them from intake's rule editions
(`data/intake_rules.json`); until then these defaults apply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassificationRules:
    """When a category suggestion is trusted (Art. 8)."""

    confidence_threshold: float = 0.5
    """Below this confidence the appeal waits for an operator in the triage queue;
    the edition's `thresholds.category_confidence_threshold`."""


@dataclass(frozen=True)
class TypeRules:
    """The words that tell a consultation (咨询), a complaint (投诉) and a
    suggestion (建议) apart when the channel does not say (Art. 2)."""

    suggestion_markers: tuple[str, ...] = ("建议", "提议", "倡议", "呼吁")
    """A proposal, wherever it stands."""
    wish_opener: str = "望"
    """With a `wish_closer` later in the same clause of the title ("希望…能",
    "望…能"), a wish: a suggestion."""
    wish_closer: str = "能"
    not_wishes: tuple[str, ...] = ("失望", "看望", "探望", "绝望", "观望")
    """Words with 望 that wish nothing."""
    asking_words: tuple[str, ...] = ("请问", "咨询", "想问", "想了解", "问一下")
    """A question said outright: a consultation even if a complaint word follows."""
    question_words: tuple[str, ...] = (
        "吗",
        "是否",
        "能否",
        "可否",
        "能不能",
        "可不可以",
        "如何",
        "怎么",
        "怎样",
        "何时",
        "什么时候",
        "多少",
        "哪些",
        "哪里",
        "需要什么",
    )
    """With a question mark, a consultation unless a complaint word says
    otherwise."""
    complaint_markers: tuple[str, ...] = (
        "投诉",
        "举报",
        "扰民",
        "违法",
        "违规",
        "违章",
        "违建",
        "拖欠",
        "欠薪",
        "不作为",
        "乱收费",
        "乱停",
        "乱摆",
        "乱搭",
        "乱倒",
        "噪音",
        "噪声",
        "污染",
        "恶臭",
        "没人管",
        "无人管",
        "推诿",
        "欺诈",
        "坏了",
        "损坏",
        "堵塞",
        "漏水",
        "停水",
        "停电",
    )
    """A problem reported: a complaint, even when the text also proposes or asks
    (complaints often end "建议相关部门…" or "为什么没人管？")."""


DEFAULT_RULES = ClassificationRules()
DEFAULT_TYPE_RULES = TypeRules()
