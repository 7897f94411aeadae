"""Reading a citizen's return-visit answer (回访, Art. 30) into ratings (满意度,
Art. 31): speed, effect, service and system experience, each 1 (very unsatisfied)
to 5 (very satisfied).

The survey asks the four questions in that order and invites answers such as
"1满意 2不满意 3满意 4基本满意" or "5 4 5 5"; people also answer with one word for
everything ("满意") or a sentence ("不满意，问题没解决"). Full-width digits and
punctuation read as their ASCII forms, Chinese numerals as digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

QUESTIONS: tuple[str, ...] = ("speed", "effect", "service", "system")
"""The questions in the order the survey asks them (Art. 30)."""

# Longest first, so "非常不满意" is not read as "满意".
WORDS: dict[str, int] = {
    "非常不满意": 1,
    "很不满意": 1,
    "极不满意": 1,
    "特别不满意": 1,
    "不太满意": 2,
    "不满意": 2,
    "差评": 1,
    "很差": 1,
    "太差": 1,
    "差": 2,
    "不好": 2,
    "基本满意": 3,
    "一般": 3,
    "还行": 3,
    "比较满意": 4,
    "满意": 4,
    "不错": 4,
    "很好": 5,
    "好评": 5,
    "很满意": 5,
    "非常满意": 5,
    "特别满意": 5,
}
_WORD = "|".join(sorted(map(re.escape, WORDS), key=len, reverse=True))

# Whether the problem was solved, said in so many words; the negative forms first,
# since each contains the positive one.
_UNSOLVED = re.compile(
    r"(没有?|未|还没有?|仍未|尚未|不)(被)?(得到)?(解决|处理|办好|落实|整改)"
)
_SOLVED = re.compile(
    r"(已经?|得到了?|都)(解决|处理好|办好|整改好)|(解决|处理好|办好|整改好)了"
)

_NUMERALS = str.maketrans("一二三四五", "12345")
# "一般" holds 一, which is no numeral there.
_NOT_NUMERAL = "一般"
_HOLD = "\ue000"

# "1满意", "2、不满意", "第3题：一般", "4:5", "1-5分"
_PAIR_WORD = re.compile(
    rf"(?:第\s*)?([1-4])\s*(?:题|项)?\s*[.、:：)\]=\-]?\s*({_WORD})"
)
_PAIR_SCORE = re.compile(
    r"(?:第\s*)?([1-4])\s*(?:题|项)?\s*[.、:：)\]=\-]\s*([1-5])\s*分?(?!\d)"
)
_SCORES = re.compile(r"^[1-5](?:[\s,，;；、/]*[1-5]){3}\s*分?$")


@dataclass(frozen=True)
class Answer:
    """What a reply says: a rating per question it answers, whether the problem was
    solved when it says so, and whether the citizen is satisfied."""

    ratings: dict[str, int]
    solved: bool | None

    @property
    def satisfied(self) -> bool:
        """Satisfied unless any rating is 2 or below or the problem is unsolved: one
        unsatisfied answer makes the order a reopening candidate (Art. 31)."""
        if self.solved is False:
            return False
        return all(score >= 3 for score in self.ratings.values())

    def rating(self, question: str) -> int | None:
        return self.ratings.get(question)


class Unreadable(ValueError):
    """The reply says nothing the survey can use."""


def parse(text: str) -> Answer:
    """The ratings a reply gives; `Unreadable` when it gives none.

    Read in this order: numbered answers ("1满意 2不满意"; "1:5 2:4"), then four
    bare scores in question order ("5 4 5 5"), then one word for every question
    ("满意"). A sentence saying the problem is not solved counts as unsatisfied
    even without a rating word, and rates the effect 1.
    """
    normal = normalise(text)
    solved = _solved(normal)
    ratings = _numbered(normal) or _scores(normal) or _overall(normal)
    if not ratings and solved is False:
        ratings = {"effect": 1}
    if not ratings:
        raise Unreadable("the reply rates nothing")
    if solved is False and ratings.get("effect", 1) >= 3:
        # "满意，就是问题没解决": the words about the problem decide the effect.
        ratings = {**ratings, "effect": 2}
    return Answer(ratings=ratings, solved=solved)


def normalise(text: str) -> str:
    """Full-width forms as ASCII (NFKC), Chinese numerals 一–五 as digits, invisible
    characters out, whitespace squeezed."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(
        char
        for char in folded
        if char in "\n\t " or unicodedata.category(char) not in ("Cc", "Cf")
    )
    numbered = (
        visible.replace(_NOT_NUMERAL, _HOLD)
        .translate(_NUMERALS)
        .replace(_HOLD, _NOT_NUMERAL)
    )
    return re.sub(r"\s+", " ", numbered).strip()


def _numbered(text: str) -> dict[str, int]:
    ratings: dict[str, int] = {}
    for match in _PAIR_SCORE.finditer(text):
        ratings.setdefault(QUESTIONS[int(match.group(1)) - 1], int(match.group(2)))
    for match in _PAIR_WORD.finditer(text):
        ratings.setdefault(QUESTIONS[int(match.group(1)) - 1], WORDS[match.group(2)])
    return ratings


def _scores(text: str) -> dict[str, int]:
    if not _SCORES.match(text):
        return {}
    digits = [int(char) for char in text if char.isdigit()]
    return dict(zip(QUESTIONS, digits, strict=True))


def _overall(text: str) -> dict[str, int]:
    # One rating word for the whole visit: the first one said counts for every
    # question ("满意，谢谢" is satisfied with all of it).
    match = re.search(_WORD, text)
    if match is None:
        return {}
    return dict.fromkeys(QUESTIONS, WORDS[match.group(0)])


def _solved(text: str) -> bool | None:
    if _UNSOLVED.search(text):
        return False
    if _SOLVED.search(text):
        return True
    return None
