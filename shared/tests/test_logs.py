"""Logs carry no personal data and no forged lines."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
from uvicorn.config import LOGGING_CONFIG

from minsheng_common.logs import RedactingFilter, configure_logging

# As uvicorn's access log writes a request: client, method, path, version, status.
STATUS_READ = (
    '%s - "%s %s HTTP/%s" %d',
    "127.0.0.1:50312",
    "GET",
    "/v1/appeals/MS20261204000001/status?last4=5678",
    "1.1",
    200,
)


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


def test_the_status_reads_last4_is_never_logged() -> None:
    line = render(*STATUS_READ)

    assert "5678" not in line
    assert "/v1/appeals/MS20261204000001/status?last4=*** HTTP/1.1" in line


def test_last4_is_dropped_wherever_it_stands_in_a_query_and_however_spelled() -> None:
    line = render(
        "GET %s, %s, %s",
        "/status?lang=zh&last4=%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98&x=1",
        "/status?last%34=1234",
        "https://intake.example/status?last4=e.cn#top",
    )

    assert "%EF%BC%95" not in line
    assert "1234" not in line
    assert "e.cn" not in line
    assert "?lang=zh&last4=***&x=1" in line
    assert "?last%34=***" in line
    assert "?last4=***#top" in line


def test_other_query_parameters_are_kept() -> None:
    line = render("GET %s", "/v1/appeals/search?limit=50&offset=100&status=filed")

    assert line.endswith("?limit=50&offset=100&status=filed\n")


def test_uvicorns_access_log_is_redacted_even_after_uvicorn_set_up_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access")
    try:
        # What a server started with uvicorn's default log config leaves behind.
        logging.config.dictConfig(LOGGING_CONFIG)
        configure_logging(service="intake")
        access.info(*STATUS_READ)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    logged = capsys.readouterr().err
    assert "intake uvicorn.access" in logged
    assert "last4=***" in logged
    assert "5678" not in logged
