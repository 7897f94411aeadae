"""Chinese text as words for the category suggester (jieba, loaded once, lazily,
with its logging silenced)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from types import ModuleType

from minsheng_intake import segmenter

log = logging.getLogger(__name__)

# A word the suggester can learn from holds a Chinese character or two Latin
# letters; punctuation, numbers and single letters are left out.
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z]{2,}")

# The words of the packaged training texts (about a thousand), by text.
_kept: dict[str, tuple[str, ...]] = {}


def _segmenter() -> ModuleType:
    """jieba, loaded once for the whole service (`minsheng_intake.segmenter`)."""
    return segmenter.jieba()


def words(text: str) -> tuple[str, ...]:
    """The words of the text (jieba's precise mode), Latin letters lower-cased,
    punctuation and numbers left out."""
    found = _kept.get(text)
    if found is None:
        pieces = (piece.strip().lower() for piece in _segmenter().lcut(text))
        found = tuple(piece for piece in pieces if piece and _WORD.search(piece))
    return found


def keep(texts: Iterable[str]) -> None:
    """Segment the packaged training texts once and keep their words for the
    process: every fold of the measurement trains on them again. Only these are
    kept, so memory stays bounded whatever appeals arrive."""
    for text in texts:
        if text not in _kept:
            _kept[text] = words(text)


def analyse(text: str) -> list[str]:
    """`words` as the list a scikit-learn vectoriser takes."""
    return list(words(text))
