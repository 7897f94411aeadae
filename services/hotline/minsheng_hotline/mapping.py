"""From what the agent entered onto the district's terms: the type (Art. 2), the
category of the reference data (Art. 8) and a title."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from minsheng_common.reference import ReferenceData
from minsheng_common.rules import AppealType

TYPES: Final[Mapping[str, AppealType]] = MappingProxyType(
    {
        "咨询": "consultation",
        "查询": "consultation",
        "投诉": "complaint",
        "举报": "complaint",
        "求助": "complaint",
        "建议": "suggestion",
        "意见": "suggestion",
        "consultation": "consultation",
        "complaint": "complaint",
        "suggestion": "suggestion",
    }
)
"""The call centres' type labels → ours. A help request (求助) or a report (举报)
asks a unit to act, as a complaint does."""

TITLE_CHARS: Final = 50
"""How much of the summary's first sentence becomes a title when the record has
none."""

# A second level after the first: 市容环卫/占道经营, 市容环卫－占道经营, 市容环卫>…; an
# ASCII hyphen separates levels only where it is not inside an id (city-sanitation).
_LEVELS = re.compile(r"\s*[/／>＞－—|]\s*")
_HYPHEN = re.compile(r"\s*-\s*")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def appeal_type(label: str) -> AppealType | None:
    """Our type for the agent's label; None lets intake read it from the text."""
    return TYPES.get(label.strip().lower())


def category(label: str, reference: ReferenceData) -> str | None:
    """The reference data's category id for the agent's label: by id or by name,
    of the first level; None for a label the district does not know."""
    first = _LEVELS.split(label.strip(), maxsplit=1)[0]
    for candidate in (first, _HYPHEN.split(first, maxsplit=1)[0]):
        if candidate in reference.category_ids:
            return candidate
        for known in reference.categories:
            if known.name == candidate:
                return known.id
    return None


def title(given: str | None, summary: str) -> str:
    """The record's subject, or the first sentence of the summary, shortened."""
    if given and given.strip():
        return given.strip()
    first = _SENTENCE_END.split(summary.strip(), maxsplit=1)[0].strip()
    if len(first) <= TITLE_CHARS:
        return first
    return first[: TITLE_CHARS - 1] + "…"
