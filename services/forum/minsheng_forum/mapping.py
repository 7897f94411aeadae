"""The table from the forum's labels and masked places onto ours.

The message board labels each message with its own first-level category and masks
places as "A市", "A1区"…; this module maps both onto the district's classification
(Art. 8) and subdistricts, and reads the appeal type from the title (Art. 2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from minsheng_common.rules import AppealType

CATEGORIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "城乡建设": "planning-construction",
        "环境保护": "environment-water",
        "交通运输": "transport",
        "教育文体": "education",
        "劳动和社会保障": "labour-social-security",
        "商贸旅游": "market-regulation",
        "卫生计生": "health",
    }
)
"""The forum's category label → our category id (the hint sent to intake)."""

CITY: Final[str] = "深圳市坪山区"
"""What the masked "A市" stands for in the replay."""

DISTRICTS: Final[tuple[str, ...]] = (
    "坪山街道",
    "马峦街道",
    "碧岭街道",
    "石井街道",
    "坑梓街道",
    "龙田街道",
    "坪山街道",
    "马峦街道",
    "碧岭街道",
)
"""What the masked A1区…A9区 stand for, in that order."""

SUGGESTION_MARKERS: Final[tuple[str, ...]] = ("建议", "提议", "倡议", "呼吁")
QUESTION_WORDS: Final[tuple[str, ...]] = (
    "请问",
    "咨询",
    "吗",
    "是否",
    "能否",
    "可否",
    "如何",
    "怎么",
    "怎样",
    "何时",
    "什么时候",
    "多少",
)

# "望…能" within one clause proposes ("望B市职工医疗保险费能在网上查询"); 失望, 看望,
# 探望, 绝望 and 观望 are not wishes.
_WISH = re.compile(r"(?<![失看探绝观])望[^，。！？；,.!?;]*能")
_QUESTION_MARK = re.compile(r"[?？]\s*$")

# "A市" only as its own name: "A9市" or "HA市" are other places.
_CITY = re.compile(r"(?<![A-Za-z0-9])A市")
# A1区…A9区: a single digit, so "A10区" stays; the same guard in front keeps "KA1区".
_DISTRICT = re.compile(r"(?<![A-Za-z0-9])A([1-9])区")


def category(label: str) -> str | None:
    """Our category id for the forum's label; None for a label not in the table."""
    return CATEGORIES.get(label.strip())


def appeal_type(title: str) -> AppealType:
    """Suggestion, consultation or complaint, read from the title.

    Precedence: a proposal (建议, 提议, 倡议, 呼吁, 望…能) makes a suggestion even when
    phrased as a question ("建议…可否…？" still proposes); otherwise a question mark at
    the end or a question word makes a consultation; everything else is a complaint.
    """
    if any(marker in title for marker in SUGGESTION_MARKERS) or _WISH.search(title):
        return "suggestion"
    if _QUESTION_MARK.search(title) or any(word in title for word in QUESTION_WORDS):
        return "consultation"
    return "complaint"


def places(text: str) -> str:
    """Replace the masked "A市" and A1区…A9区 with Pingshan's names; nothing else
    in the text changes."""
    text = _CITY.sub(CITY, text)
    return _DISTRICT.sub(lambda match: DISTRICTS[int(match.group(1)) - 1], text)
