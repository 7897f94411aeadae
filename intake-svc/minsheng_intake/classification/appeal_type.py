"""Consultation (咨询), complaint (投诉) or suggestion (建议) read from the text, for a
channel that does not say (Art. 2).

The title is read first: it is where a citizen says what the message is. It
decides when it proposes (建议, 提议, 倡议, 呼吁, or a wish 希望…能 within one
clause), asks outright (请问, 咨询), reports a problem (投诉, 扰民, 拖欠…) or asks at
all (a question word or mark), in that order. A title that says none of these
leaves it to the content. There a question counts only in the first sentence,
where a citizen says why they write: further on, questions are mostly rhetorical
("为什么没人管？"). Then a reported problem comes before a proposal: complaints
often end "建议相关部门…". A wish is read in the title only: in the content
"希望…能尽快处理" asks for a complaint to be handled. Whatever says nothing is a
complaint.
"""

from __future__ import annotations

import re

from minsheng_common.rules import AppealType
from minsheng_intake.classification.rules import DEFAULT_TYPE_RULES, TypeRules

# A clause ends at punctuation; a wish is read within one clause.
_CLAUSE_END = "，。！？；,.!?;\n"
_SENTENCE_END = "。！？!?\n"
_QUESTION_MARK = re.compile(r"[?？]")


def infer_type(
    title: str, content: str, rules: TypeRules = DEFAULT_TYPE_RULES
) -> AppealType:
    """The appeal's type from its title, then its content; a complaint if neither
    says."""
    return _from_title(title, rules) or _from_content(content, rules) or "complaint"


def _from_title(title: str, rules: TypeRules) -> AppealType | None:
    if _proposes(title, rules) or _wishes(title, rules):
        return "suggestion"
    if _has(title, rules.asking_words):
        return "consultation"
    if _has(title, rules.complaint_markers):
        return "complaint"
    if _asks(title, rules):
        return "consultation"
    return None


def _from_content(content: str, rules: TypeRules) -> AppealType | None:
    opening = _first_sentence(content)
    if _has(opening, rules.asking_words) or _asks(opening, rules):
        return "consultation"
    if _has(content, rules.complaint_markers):
        return "complaint"
    if _proposes(content, rules):
        return "suggestion"
    return None


def _first_sentence(text: str) -> str:
    """The text up to and with its first full stop, question or exclamation mark
    or line break."""
    text = text.strip()
    for end, character in enumerate(text):
        if character in _SENTENCE_END:
            return text[: end + 1]
    return text


def _proposes(text: str, rules: TypeRules) -> bool:
    return _has(text, rules.suggestion_markers)


def _wishes(text: str, rules: TypeRules) -> bool:
    """A wish opener followed by its closer within the same clause, the opener not
    part of a word that wishes nothing (失望, 探望…)."""
    for position, character in enumerate(text):
        if character != rules.wish_opener:
            continue
        if any(
            text.startswith(word, position - word.index(rules.wish_opener))
            for word in rules.not_wishes
            if rules.wish_opener in word and position >= word.index(rules.wish_opener)
        ):
            continue
        clause = _clause_after(text, position + 1)
        if rules.wish_closer in clause:
            return True
    return False


def _clause_after(text: str, start: int) -> str:
    for end in range(start, len(text)):
        if text[end] in _CLAUSE_END:
            return text[start:end]
    return text[start:]


def _asks(text: str, rules: TypeRules) -> bool:
    return bool(_QUESTION_MARK.search(text)) or _has(text, rules.question_words)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)
