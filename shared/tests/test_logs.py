"""Logs carry no personal data and no forged lines."""

from __future__ import annotations

import io
import logging

from minsheng_common.logs import RedactingFilter


def render(message: str, *args: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test.logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.warning(message, *args)
    return stream.getvalue()


def test_phone_and_id_numbers_and_emails_are_masked() -> None:
    line = render(
        "callback %s, id %s, mail %s",
        "138 0013 8000",
        "440310199001011234",
        "li.si@example.cn",
    )

    assert "0013" not in line
    assert "440310199001011234" not in line
    assert "li.si@example.cn" not in line


def test_a_value_with_line_breaks_cannot_forge_a_line() -> None:
    forged = "ok\n2026-12-04 17:31:00 WARNING contact disclosed to operator:FORGED"

    output = render("reference %s", forged)

    assert output.count("\n") == 1
    assert "\\n2026-12-04" in output
