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

from minsheng_common import pii
from minsheng_common.reference import ReferenceData
from minsheng_notify.errors import UnknownTemplate

ACCEPTANCE = "acceptance"

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
