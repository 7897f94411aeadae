"""The filing decision (立案 / 不予立案, Art. 11): filed, or not filed with a reason
code, the article it rests on, and the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from minsheng_intake.places import PlaceMatch


class Reason(StrEnum):
    """Why an appeal is not filed; each code is stable and cites its article."""

    MISSING_CONTACT = "missing_contact"
    INVALID_CONTACT = "invalid_contact"
    MISSING_CONTENT = "missing_content"
    ADDRESS_NOT_PRECISE = "address_not_precise"
    NO_PLACE_IN_DISTRICT = "no_place_in_district"


ARTICLES: dict[Reason, str] = {
    Reason.MISSING_CONTACT: "Art. 11(2)1",
    Reason.INVALID_CONTACT: "Art. 11(2)1",
    Reason.MISSING_CONTENT: "Art. 11(2)1",
    Reason.ADDRESS_NOT_PRECISE: "Art. 11(2)3, 11(3)2",
    Reason.NO_PLACE_IN_DISTRICT: "Art. 11(3)2, 11(3)7",
}

EXPLANATIONS: dict[Reason, str] = {
    Reason.MISSING_CONTACT: "未留真实有效的联系方式",
    Reason.INVALID_CONTACT: "联系方式无效",
    Reason.MISSING_CONTENT: "未描述诉求内容",
    Reason.ADDRESS_NOT_PRECISE: "只写明本区，未写明街道、社区或门牌等具体地址",
    Reason.NO_PLACE_IN_DISTRICT: "未写明本区范围内的地点",
}


@dataclass(frozen=True)
class FilingDecision:
    filed: bool
    reason: Reason | None = None
    evidence: str | None = None

    @property
    def article(self) -> str | None:
        return ARTICLES[self.reason] if self.reason else None

    @property
    def detail(self) -> str | None:
        if self.reason is None:
            return None
        explanation = EXPLANATIONS[self.reason]
        return f"{explanation}（{self.evidence}）" if self.evidence else explanation


FILED = FilingDecision(filed=True)


def decide(
    *,
    has_contact: bool,
    contact_error: str | None,
    content: str,
    place: PlaceMatch,
) -> FilingDecision:
    """Apply the filing requirements in the order a clerk checks them."""
    if not has_contact:
        return FilingDecision(False, Reason.MISSING_CONTACT, "contact")
    if contact_error is not None:
        return FilingDecision(
            False, Reason.INVALID_CONTACT, f"contact: {contact_error}"
        )
    if not content:
        return FilingDecision(False, Reason.MISSING_CONTENT, "content")
    if not place.precise:
        if place.district_named:
            return FilingDecision(False, Reason.ADDRESS_NOT_PRECISE, "address, content")
        return FilingDecision(False, Reason.NO_PLACE_IN_DISTRICT, "address, content")
    return FILED
