"""The wording of notices: one Jinja2 template per kind, in `templates/`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from minsheng_common import pii, redaction
from minsheng_common.reference import ReferenceData
from minsheng_notify.errors import UnknownTemplate

ACCEPTANCE = "acceptance"
HANDLING = "handling"
FILED = "filed"
REJECTED = "rejected"
INSTANT_ANSWER = "instant_answer"

# Intake's reason codes for not filing (Art. 11), as the citizen should read them;
# a code not listed here is explained by the event's own `detail`.
REJECTION_REASONS: dict[str, str] = {
    "missing_contact": "未留下真实有效的联系方式",
    "invalid_contact": "所留联系方式无效",
    "missing_content": "未写明具体诉求内容",
    "description_unclear": "所反映的问题描述不清",
    "no_evident_request": "未提出明确的诉求",
    "complaint_subject_missing": "投诉未写明被投诉对象、时间、地点或基本事实",
    "address_not_precise": "地址不够具体，未写明街道、社区、小区或门牌号等",
    "no_place_in_district": "未写明本区范围内的具体地点",
    "outside_powers": "所反映事项不属于本区职权范围",
    "outside_territory": "所反映事项不在本区辖区范围内",
    "law_litigation": "所反映事项涉及法律诉讼",
    "repeat": "与您此前反映的同一诉求重复，该诉求仍在办理中",
    "verification_address_untrue": "经现场核实，所反映的地址不存在或不属实",
    "verification_content_untrue": "经现场核实，所反映的情况与实际不符",
    "verification_invented": "经现场核实，所反映的情况并不存在",
}

# What to do instead, when intake sends no `advice` of its own.
REJECTION_ADVICE: dict[str, str] = {
    "missing_contact": "请留下真实有效的联系电话后重新反映。",
    "invalid_contact": "请留下真实有效的联系电话后重新反映。",
    "missing_content": "请写明需要解决的问题后重新反映。",
    "description_unclear": "请写清具体问题、时间和地点后重新反映。",
    "no_evident_request": "请写明希望解决的问题后重新反映。",
    "complaint_subject_missing": "请写明被投诉对象、时间、地点和基本情况后重新反映。",
    "address_not_precise": "请补充街道、社区、小区及门牌号（或路灯杆号）后重新反映。",
    "no_place_in_district": "请写明问题发生的具体地点后重新反映。",
    "law_litigation": "涉法涉诉事项请通过司法途径依法解决。",
    "repeat": "请凭原编号查询办理进度，无需重复反映。",
}

# Intake's `detail` may end with the fields it looked at, e.g. "（address, content）":
# clerk's evidence, not words for the citizen.
_FIELD_EVIDENCE = re.compile(r"\s*[（(][\x20-\x7e]*[）)]\s*[。.]?\s*$")

# What ends a sentence (before any closing quote or bracket); a message ending
# otherwise gets a full stop.
_SENTENCE_ENDS = frozenset("。！？!?….．")
_CLOSERS = "”’」』）)\"'"
# A unit that labels its own words 说明 would otherwise read "说明：说明：…".
_OWN_LABEL = re.compile(r"^说明\s*[:：]\s*")


class NoticeTexts:
    """Renders the text of a notice; units are named as the reference data names
    them."""

    def __init__(self, unit_names: Mapping[str, str]) -> None:
        self._unit_names = dict(unit_names)
        # Plain text for SMS and mail, so nothing is HTML-escaped; a missing value is
        # an error rather than a silent gap in what the citizen reads.
        self._environment = Environment(
            loader=PackageLoader("minsheng_notify", "templates"),
            autoescape=select_autoescape(
                enabled_extensions=("html",), default_for_string=False
            ),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )

    @classmethod
    def from_reference(cls, reference: ReferenceData) -> NoticeTexts:
        return cls({unit.id: unit.name for unit in reference.units})

    def unit_name(self, unit_id: str) -> str:
        """The unit's name for the citizen; its id when the reference lacks it."""
        return self._unit_names.get(unit_id, unit_id)

    def render(self, kind: str, **values: Any) -> str:
        """The text of a notice of `kind` with `values` filled in."""
        try:
            template = self._environment.get_template(f"{kind}.txt.j2")
        except TemplateNotFound:
            raise UnknownTemplate(f"no template for notices of kind '{kind}'") from None
        cleaned = {
            name: printable(value) if isinstance(value, str) else value
            for name, value in values.items()
        }
        return template.render(**cleaned).strip()

    def acceptance(
        self, *, tracking_code: str, unit_id: str, accepted: bool, message: str
    ) -> str:
        """The acceptance notice (受理告知, Art. 28)."""
        return self.render(
            ACCEPTANCE,
            tracking_code=tracking_code,
            unit=self.unit_name(unit_id),
            accepted=accepted,
            message=_as_sentence(printable(message)),
        )

    def handling(self, *, tracking_code: str, unit_id: str, message: str) -> str:
        """The handling notice (办理告知, Art. 29): the result, in the unit's words."""
        return self.render(
            HANDLING,
            tracking_code=tracking_code,
            unit=self.unit_name(unit_id),
            message=_as_sentence(printable(message)),
        )

    def filed(self, *, tracking_code: str, contact_kind: str) -> str:
        """The notice that the appeal is filed, with its tracking code (Art. 11)."""
        return self.render(
            FILED,
            tracking_code=tracking_code,
            by_phone=contact_kind == "phone",
        )

    def rejected(
        self,
        *,
        tracking_code: str,
        reason_code: str,
        detail: str,
        advice: str | None,
        earlier_code: str | None = None,
    ) -> str:
        """The notice that the appeal is not filed (不予立案, Art. 11): the reason in
        plain words, the tracking code of the earlier appeal a repeat follows, and
        where to turn instead."""
        reason = REJECTION_REASONS.get(reason_code) or _FIELD_EVIDENCE.sub(
            "", printable(detail).strip()
        )
        instead = advice if advice and advice.strip() else None
        return self.render(
            REJECTED,
            tracking_code=tracking_code,
            reason=_as_clause(reason),
            earlier_code=earlier_code,
            advice=_as_sentence(
                printable(instead or REJECTION_ADVICE.get(reason_code, ""))
            ),
        )

    def instant_answer(self, *, tracking_code: str, answer: str) -> str:
        """The knowledge base's answer to a consultation (秒回, Art. 44)."""
        return self.render(
            INSTANT_ANSWER,
            tracking_code=tracking_code,
            answer=_as_sentence(printable(answer)),
        )


def without_contact(body: str, contact: str) -> str:
    """`body` with every occurrence of the citizen's contact masked: as given, and
    for a phone number also its digits alone and without the +86 prefix, so the
    text kept as evidence and shown to units never holds it in clear."""
    masked = pii.mask(contact)
    forms = {contact.strip()}
    digits = "".join(char for char in contact if char.isdigit())
    if len(digits) >= 7:
        national = (
            digits[2:] if digits.startswith("86") and len(digits) > 11 else digits
        )
        forms |= {national, "86" + national, "+86" + national}
    # The longest first, so "+8613800138000" is not left as "+86" + a masked tail.
    for form in sorted((f for f in forms if len(f) >= 3), key=len, reverse=True):
        body = body.replace(form, masked)
    return body


def printable(text: str) -> str:
    """`text` without control and format characters (Unicode Cc and Cf: NUL,
    carriage returns, bidirectional overrides, zero-width marks), newlines kept, so
    nothing invisible reaches the citizen's phone."""
    return "".join(
        char
        for char in text
        if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf")
    )


def _as_sentence(message: str) -> str:
    message = _OWN_LABEL.sub("", message.strip()).strip()
    core = message.rstrip(_CLOSERS)
    if message and (not core or core[-1] not in _SENTENCE_ENDS):
        message += "。"
    return message


def _as_clause(text: str) -> str:
    # A reason is followed by the template's own full stop.
    return text.strip().rstrip("。.；;，,").strip()


def scrub(kind: str, body: str) -> str:
    """Mask personal data in a notice body, except in an instant answer: its text is
    the knowledge base's public answer (a unit's hotline, an office's number), and the
    citizen's own contact is taken out separately."""
    return body if kind == INSTANT_ANSWER else redaction.redact(body)
