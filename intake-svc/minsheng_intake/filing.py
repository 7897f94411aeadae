"""The filing decision (立案 / 不予立案, Art. 11): filed, or not filed with a reason
code, the article it rests on, and the evidence (which field, what was found).

The checks run in the order a clerk reads an appeal; the first that fails names the
reason. What each check looks for (keyword lists, thresholds) is data of the rule
edition in force when the appeal was received (`intake_rules`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from minsheng_common import redaction
from minsheng_common.rules import AppealType
from minsheng_intake.address import ParsedAddress
from minsheng_intake.intake_rules import FilingRules
from minsheng_intake.places import PlaceMatch


class Reason(StrEnum):
    """Why an appeal is not filed; each code is stable and cites its article."""

    MISSING_CONTACT = "missing_contact"
    INVALID_CONTACT = "invalid_contact"
    MISSING_CONTENT = "missing_content"
    DESCRIPTION_UNCLEAR = "description_unclear"
    NO_EVIDENT_REQUEST = "no_evident_request"
    LAW_LITIGATION = "law_litigation"
    OUTSIDE_POWERS = "outside_powers"
    OUTSIDE_TERRITORY = "outside_territory"
    NO_PLACE_IN_DISTRICT = "no_place_in_district"
    COMPLAINT_SUBJECT_MISSING = "complaint_subject_missing"
    ADDRESS_NOT_PRECISE = "address_not_precise"
    REPEAT = "repeat"
    REPEAT_SAME_DAY = "repeat_same_day"
    VERIFICATION_ADDRESS_UNTRUE = "verification_address_untrue"
    VERIFICATION_CONTENT_UNTRUE = "verification_content_untrue"
    VERIFICATION_INVENTED = "verification_invented"


ARTICLES: dict[Reason, str] = {
    Reason.MISSING_CONTACT: "Art. 11(2)1",
    Reason.INVALID_CONTACT: "Art. 11(2)1",
    Reason.MISSING_CONTENT: "Art. 11(2)1",
    Reason.DESCRIPTION_UNCLEAR: "Art. 11(2)1, 11(3)2",
    Reason.NO_EVIDENT_REQUEST: "Art. 11(3)3",
    Reason.LAW_LITIGATION: "Art. 11(3)4",
    Reason.OUTSIDE_POWERS: "Art. 11(3)1, 11(3)7",
    Reason.OUTSIDE_TERRITORY: "Art. 11(3)7",
    Reason.NO_PLACE_IN_DISTRICT: "Art. 11(3)2, 11(3)7",
    Reason.COMPLAINT_SUBJECT_MISSING: "Art. 11(2)2",
    Reason.ADDRESS_NOT_PRECISE: "Art. 11(2)3, 11(3)2",
    Reason.REPEAT: "Art. 11(3)5",
    Reason.REPEAT_SAME_DAY: "Art. 11(3)5",
    Reason.VERIFICATION_ADDRESS_UNTRUE: "Art. 11(3)6",
    Reason.VERIFICATION_CONTENT_UNTRUE: "Art. 11(3)6",
    Reason.VERIFICATION_INVENTED: "Art. 11(3)6",
}

EXPLANATIONS: dict[Reason, str] = {
    Reason.MISSING_CONTACT: "未留真实有效的联系方式",
    Reason.INVALID_CONTACT: "联系方式无效",
    Reason.MISSING_CONTENT: "未描述诉求内容",
    Reason.DESCRIPTION_UNCLEAR: "诉求描述不规范，内容过短或无法辨认",
    Reason.NO_EVIDENT_REQUEST: "内容中没有明显的诉求",
    Reason.LAW_LITIGATION: "属于涉法涉诉事项",
    Reason.OUTSIDE_POWERS: "不属于本区行政职权范围",
    Reason.OUTSIDE_TERRITORY: "事发地点不在本区范围内",
    Reason.NO_PLACE_IN_DISTRICT: "未写明本区范围内的地点",
    Reason.COMPLAINT_SUBJECT_MISSING: "投诉未写明被投诉的对象或事项",
    Reason.ADDRESS_NOT_PRECISE: "地址不够具体，未写明门牌号、楼栋或路灯杆号等",
    Reason.REPEAT: "重复反映，同一问题正在办理中",
    Reason.REPEAT_SAME_DAY: "同一天通过同一渠道多次反映同一事件，只受理一次",
    Reason.VERIFICATION_ADDRESS_UNTRUE: "经现场核实，地址不实",
    Reason.VERIFICATION_CONTENT_UNTRUE: "经现场核实，反映内容不实",
    Reason.VERIFICATION_INVENTED: "经现场核实，属故意捏造",
}


@dataclass(frozen=True)
class Evidence:
    """What a decision rests on: the field read and what was found there."""

    field: str
    found: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "found": self.found}


@dataclass(frozen=True)
class FilingDecision:
    filed: bool
    reason: Reason | None = None
    evidence: Evidence | None = None

    @property
    def article(self) -> str | None:
        return ARTICLES[self.reason] if self.reason else None

    @property
    def detail(self) -> str | None:
        """The reason in plain Chinese, with what was found."""
        if self.reason is None:
            return None
        explanation = EXPLANATIONS[self.reason]
        if self.evidence is None:
            return explanation
        return f"{explanation}（{self.evidence.field}: {self.evidence.found}）"

    def evidence_json(self) -> dict[str, Any] | None:
        return self.evidence.as_json() if self.evidence else None


FILED = FilingDecision(filed=True)


def not_filed(reason: Reason, field: str, found: str) -> FilingDecision:
    return FilingDecision(False, reason, Evidence(field=field, found=found))


@dataclass(frozen=True)
class Facts:
    """What the checks read: the appeal normalised, its contact read, its place
    found and its address parsed."""

    appeal_type: AppealType
    title: str
    content: str
    has_contact: bool
    contact_error: str | None
    place: PlaceMatch
    address: ParsedAddress
    address_text: str | None = None

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.content}".strip()

    @property
    def all_text(self) -> str:
        return f"{self.address_text or ''}\n{self.text}".strip()


Check = Callable[[Facts, FilingRules], FilingDecision | None]


def decide(facts: Facts, rules: FilingRules) -> FilingDecision:
    """Apply the filing requirements in the order a clerk checks them; the first
    that fails names the reason."""
    for check in CHECKS:
        decision = check(facts, rules)
        if decision is not None:
            return decision
    return FILED


def check_contact(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """A real registered contact (Art. 11(2)1)."""
    if not facts.has_contact:
        return not_filed(Reason.MISSING_CONTACT, "contact", "none given")
    if facts.contact_error is not None:
        return not_filed(Reason.INVALID_CONTACT, "contact", facts.contact_error)
    return None


def check_content(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """A description of the matter (Art. 11(2)1): at least a letter, digit or
    character of any script (whether it can be read is the next check)."""
    if not any(character.isalnum() for character in facts.content):
        return not_filed(Reason.MISSING_CONTENT, "content", "nothing written")
    return None


_READABLE = re.compile(
    "[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2010-\u2027"
    "\u00b7\u2e80-\u2fdf\u0020-\u007e\n]"
)


def check_clear(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """A description that can be read: not garbled, not a few characters, not one
    character repeated (Art. 11(3)2: 描述不规范)."""
    text = facts.text
    garbled = first_found(text, rules.garbled_markers)
    if garbled is not None:
        return not_filed(Reason.DESCRIPTION_UNCLEAR, "content", f"garbled: {garbled}")
    readable = sum(1 for character in text if _READABLE.match(character))
    if text and readable / len(text) < rules.min_readable_share:
        share = round(100 * readable / len(text))
        return not_filed(
            Reason.DESCRIPTION_UNCLEAR, "content", f"only {share}% readable characters"
        )
    characters = meaningful(text)
    if len(characters) < rules.min_meaningful_chars:
        return not_filed(
            Reason.DESCRIPTION_UNCLEAR,
            "title, content",
            f"{len(characters)} characters: {''.join(characters)}",
        )
    if len(set(characters)) < rules.min_distinct_chars:
        return not_filed(
            Reason.DESCRIPTION_UNCLEAR,
            "title, content",
            f"only {len(set(characters))} different characters",
        )
    return None


def check_evident_request(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """Something asked or reported (Art. 11(3)3): not only a greeting, thanks or an
    exclamation. A short text also needs a word that asks or reports; a longer one
    tells what happened by its length alone."""
    text = facts.text
    # A greeting takes its punctuation with it: "在吗？" asks nothing.
    stripped = remove(text, [*rules.greetings, *rules.exclamations], trailing=_PUNCT)
    words = [character for character in meaningful(stripped) if not character.isdigit()]
    if len(words) < 2:
        return not_filed(
            Reason.NO_EVIDENT_REQUEST,
            "title, content",
            f"only a greeting or an exclamation: {_quote(text)}",
        )
    asked = first_found(stripped, rules.request_markers)
    reported = first_found(stripped, rules.problem_markers)
    short = len(meaningful(stripped)) <= rules.unmarked_max_chars
    if short and asked is None and reported is None:
        return not_filed(
            Reason.NO_EVIDENT_REQUEST,
            "title, content",
            f"nothing asked or reported: {_quote(text)}",
        )
    return None


def check_law(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """Law or litigation (涉法涉诉, Art. 11(3)4): matters before the courts or
    arbitrators."""
    found = first_found(facts.text, rules.law_litigation)
    if found is not None:
        return not_filed(Reason.LAW_LITIGATION, "title, content", found)
    return None


def check_powers(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """Within the district's powers (Art. 11(3)1): not defence, foreign affairs or
    the other matters of the state's own organs."""
    found = first_found(facts.text, rules.outside_powers)
    if found is not None:
        return not_filed(Reason.OUTSIDE_POWERS, "title, content", found)
    return None


def check_territory(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """Within the district's territory (Art. 11(3)7): a place named that lies in
    another district or city, and none of ours."""
    if facts.place.precise or facts.place.district_named:
        return None
    for field, source in (("address", facts.address_text or ""), ("text", facts.text)):
        found = first_found(source, rules.other_territories)
        if found is not None:
            return not_filed(Reason.OUTSIDE_TERRITORY, field, found)
    return None


def check_place(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """A place in the district (Art. 11(3)2, 11(3)7), at least its subdistrict or
    community, as the regulation's example 坪山区**街道**社区**小区** starts: naming
    only the district is not precise (Art. 11(2)3)."""
    if facts.place.precise:
        return None
    if facts.place.district_named:
        described = facts.address.describe()
        return not_filed(
            Reason.ADDRESS_NOT_PRECISE,
            "address, content",
            f"no subdistrict or community: only {described}",
        )
    return not_filed(
        Reason.NO_PLACE_IN_DISTRICT, "address, content", "no subdistrict or community"
    )


def check_complaint_subject(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """A complaint names what it is about besides where (Art. 11(2)2)."""
    if facts.appeal_type != "complaint":
        return None
    places = [
        value
        for value in (
            facts.address.district,
            facts.address.subdistrict,
            facts.address.community,
            facts.address.road,
            facts.address.estate,
            facts.address.building,
            facts.address.unit,
        )
        if value
    ]
    rest = remove(facts.text, [*places, *rules.complaint_fillers, *rules.greetings])
    if len(meaningful(rest)) < rules.min_subject_chars:
        return not_filed(
            Reason.COMPLAINT_SUBJECT_MISSING,
            "title, content",
            f"only a place and a request: {_quote(facts.text)}",
        )
    return None


def check_precise(facts: Facts, rules: FilingRules) -> FilingDecision | None:
    """An address precise to the house number, building, lamp post or equivalent
    (Art. 11(2)3) for the types the rules name (complaints: a unit goes there);
    consultations and suggestions are placed by their subdistrict or community."""
    if facts.appeal_type not in rules.precise_address_required_for:
        return None
    if facts.address.precise:
        return None
    return not_filed(
        Reason.ADDRESS_NOT_PRECISE,
        "address, content",
        f"only {facts.address.describe()}; no house number, estate, premises, "
        "building or lamp post",
    )


CHECKS: tuple[Check, ...] = (
    check_contact,
    check_content,
    check_clear,
    check_evident_request,
    check_territory,
    check_place,
    check_powers,
    check_law,
    check_complaint_subject,
    check_precise,
)
"""The checks in the order they run."""


_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")


def meaningful(text: str) -> list[str]:
    """The letters, digits and Chinese characters of a text."""
    return _MEANINGFUL.findall(text)


def first_found(text: str, keywords: Iterable[str]) -> str | None:
    """The keyword found earliest in the text (case-insensitive), or None."""
    lowered = text.lower()
    found = [
        (lowered.find(keyword.lower()), keyword)
        for keyword in keywords
        if keyword.lower() in lowered
    ]
    return min(found)[1] if found else None


_PUNCT = r"[\s?？!！,，.。~～、…]*"


def remove(text: str, words: Iterable[str], *, trailing: str = "") -> str:
    """The text without the given words (and what `trailing` matches after each),
    longest first, case-insensitive."""
    result = text
    for word in sorted(set(words), key=len, reverse=True):
        result = re.sub(re.escape(word) + trailing, " ", result, flags=re.IGNORECASE)
    return result


def _quote(text: str, limit: int = 30) -> str:
    """The start of a text as evidence, with personal data masked."""
    flat = redaction.redact(" ".join(text.split()))
    return flat if len(flat) <= limit else flat[:limit] + "…"
