"""The plain reasons a closed request gives for not being filed cover every reason
intake may give (Art. 11), so no not-filed request answers with a bare code."""

from __future__ import annotations

from minsheng_intake.filing import Reason
from minsheng_open311 import status


def test_open311_every_reason_intake_gives_has_a_plain_text() -> None:
    assert set(status.REASONS) == {reason.value for reason in Reason}


def test_open311_an_unknown_reason_still_says_the_request_is_not_filed() -> None:
    step = status.rejected("a_reason_added_later", None)

    assert step.status == "closed"
    assert step.notes == "不予受理：不符合受理条件。"
