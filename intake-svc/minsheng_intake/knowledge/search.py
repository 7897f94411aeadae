"""Matching Chinese text against knowledge entries: jieba segmentation, term weights
and a similarity between 0 and 1.

The similarity is the cosine of two TF-IDF vectors. Terms are jieba's words (search
mode, so 居住证 also yields 居住) without the words of asking (请问, 怎么, 如何 …),
which say nothing about what is asked. Term frequency is damped (1 + ln tf), and each
term is weighted by the inverse document frequency jieba ships with its keyword
extractor, measured on a large general corpus: a rare word such as 居住证 weighs about
three times a common one such as 工作, whatever the size of the knowledge base. A word
jieba's table does not know (a place name like 坪山) gets the table's median weight.

So 1.0 means the same words in the same proportions, 0.0 no word in common, and the
figure does not move when entries are added to the base.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import ModuleType

from minsheng_intake import segmenter

log = logging.getLogger(__name__)

# Words that frame a question or a greeting rather than say what it is about. They
# are the language's, not the regulation's, so they live here and not among the rule
# parameters.
_STOP_WORDS = """
    的 地 得 了 着 过 吗 呢 啊 吧 呀 么 嘛 哦 哈 啦 呐 嗯 是 有 在 和 与 及 或 或者 并
    我 我们 你 您 你们 他 她 它 他们 这 那 这个 那个 这些 那些 这里 那里 这样 那样
    请问 请 你好 您好 谢谢 麻烦 劳驾 想 想要 想问 问 问问 问下 一下 咨询 了解
    怎么 怎么样 怎样 怎么办 如何 什么 啥 哪里 哪儿 哪 哪个 哪些 多少 几 谁 为什么 为何
    能 能否 能不能 可以 可不可以 可否 是否 是不是 会 会不会 要 需要 应该 应当 找
    就 都 也 还 又 再 给 对 从 到 把 被 让 向 上 下 中 里 去 来 个 一个 一些 没有 不 没
    """
STOP_WORDS = frozenset(_STOP_WORDS.split())

# A term must contain a letter, a digit or a Chinese character: punctuation and
# spaces are not words.
_WORDLIKE = re.compile(r"\w")

# Above this many distinct texts the segmentation cache forgets the oldest.
_CACHE_SIZE = 8192

_lock = threading.Lock()
_weights_read = threading.Event()
_idf: dict[str, float] = {}
_median_idf = 0.0


def _segmenter() -> ModuleType:
    """jieba, loaded once for the whole service (`minsheng_intake.segmenter`), and
    the term weights it ships, read once with it."""
    jieba = segmenter.jieba()
    if not _weights_read.is_set():
        with _lock:
            if not _weights_read.is_set():
                _load_idf()
                _weights_read.set()
                log.info("knowledge search ready (%d weighted terms)", len(_idf))
    return jieba


def _load_idf() -> None:
    """Read the document frequencies jieba ships (analyse/idf.txt: word, idf)."""
    global _median_idf
    table = resources.files("jieba").joinpath("analyse", "idf.txt")
    with table.open("r", encoding="utf-8") as lines:
        for line in lines:
            word, _, value = line.strip().partition(" ")
            if word and value:
                _idf[word] = float(value)
    ordered = sorted(_idf.values())
    _median_idf = ordered[len(ordered) // 2]


def warm_up() -> None:
    """Load the dictionary and the term weights now rather than on the first search
    (blocking: call it in a thread at start-up)."""
    _segmenter()


@lru_cache(maxsize=_CACHE_SIZE)
def _terms_of(text: str) -> tuple[str, ...]:
    jieba = _segmenter()
    return tuple(
        word
        for word in (piece.strip() for piece in jieba.lcut_for_search(text))
        if word and word not in STOP_WORDS and _WORDLIKE.search(word)
    )


def terms(text: str) -> tuple[str, ...]:
    """The words of `text` that say what it is about, in order (repeats kept)."""
    return _terms_of(text.lower())


def weight(term: str) -> float:
    """How much a term tells: its inverse document frequency."""
    _segmenter()
    return _idf.get(term, _median_idf)


Vector = Mapping[str, float]


def vector(words: Iterable[str]) -> dict[str, float]:
    """A text's TF-IDF vector: damped term frequency times the term's weight."""
    counts = Counter(words)
    return {
        word: (1 + math.log(count)) * weight(word) for word, count in counts.items()
    }


def cosine(left: Vector, right: Vector) -> float:
    """The cosine of two vectors: 1.0 same direction, 0.0 nothing in common."""
    if len(left) > len(right):
        left, right = right, left
    dot = sum(value * right.get(word, 0.0) for word, value in left.items())
    if dot == 0.0:
        return 0.0
    norm = math.sqrt(sum(v * v for v in left.values())) * math.sqrt(
        sum(v * v for v in right.values())
    )
    return min(1.0, dot / norm)


@dataclass(frozen=True)
class Document:
    """An entry as the matcher sees it: the question side (question and keywords)
    and the answer side, each a vector."""

    question: dict[str, float]
    answer: dict[str, float]


@lru_cache(maxsize=_CACHE_SIZE)
def document(question: str, keywords: tuple[str, ...], answer: str) -> Document:
    """An entry's vectors (kept for the next search while its texts stay the
    same)."""
    asked = list(terms(question))
    for keyword in keywords:
        asked.extend(terms(keyword))
    return Document(question=vector(asked), answer=vector(terms(answer)))


# In search, the words of the answer count for less than the question's: a clerk
# looks for the question a citizen asks; the answer only helps find it.
QUESTION_SHARE = 0.7


def confidence(query: Vector, document: Document) -> float:
    """How surely `query` asks the entry's question: the cosine with its question
    and keywords (the answer does not count: a citizen asks, they do not answer)."""
    return cosine(query, document.question)


def relevance(query: Vector, document: Document) -> float:
    """How well an entry answers a search, between 0 and 1: mostly its question and
    keywords, partly its answer."""
    return QUESTION_SHARE * cosine(query, document.question) + (
        1 - QUESTION_SHARE
    ) * cosine(query, document.answer)
