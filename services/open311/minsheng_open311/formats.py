"""The two formats GeoReport v2 answers in, chosen by the path's extension: XML
(required by the specification) and JSON; and its error shape, a list of
{code, description}.

A document is a root name and a body: a list of entries (`Entries`, each element
named after the list's item) or one mapping. Values are text, numbers, true/false,
instants (W3C with the district's offset), None (an empty element in XML, null in
JSON), nested mappings or nested `Entries`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, TypeAlias
from xml.etree import ElementTree

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from minsheng_common.db import is_connection_error
from minsheng_common.errors import MinshengError
from minsheng_open311 import w3c
from minsheng_open311.errors import NotFound, Open311Error

log = logging.getLogger(__name__)

Format = Literal["json", "xml"]
FORMATS: Final = ("json", "xml")
FORMAT_PARAMETER: Final = "response_format"
"""The path parameter that carries the extension: /services.{response_format}."""

JSON_TYPE: Final = "application/json; charset=utf-8"
XML_TYPE: Final = "text/xml; charset=utf-8"
_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class Entries:
    """A list whose XML elements are all named `element` (services → service)."""

    element: str
    items: Sequence[Value]


Value: TypeAlias = (
    "str | int | float | bool | datetime | Entries | Mapping[str, Value] | None"
)


def response_format(raw: str) -> Format:
    """The format an extension asks for; 404 for any other extension."""
    if raw == "json":
        return "json"
    if raw == "xml":
        return "xml"
    raise NotFound(f"format: .{raw} is not served; use .json or .xml")


def document(
    fmt: Format,
    root: str,
    body: Entries | Mapping[str, Value],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The answer in `fmt`: JSON as the body itself, XML under `root`."""
    if fmt == "json":
        content = json.dumps(_plain(body), ensure_ascii=False).encode("utf-8")
        media_type = JSON_TYPE
    else:
        element = ElementTree.Element(root)
        _fill(element, body)
        content = (
            _DECLARATION + ElementTree.tostring(element, encoding="unicode").encode()
        )
        media_type = XML_TYPE
    return Response(
        content=content,
        status_code=status_code,
        media_type=media_type,
        headers=dict(headers or {}),
    )


def errors(
    fmt: Format,
    status_code: int,
    descriptions: Sequence[str],
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A GeoReport v2 error list: every entry carries the HTTP status as its code."""
    entries: list[Value] = [
        {"code": status_code, "description": text} for text in descriptions
    ]
    return document(
        fmt,
        "errors",
        Entries("error", entries),
        status_code=status_code,
        headers=headers,
    )


def _plain(value: Value) -> object:
    if isinstance(value, Entries):
        return [_plain(item) for item in value.items]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return w3c.stamp(value)
    return value


def _fill(element: ElementTree.Element, value: Value) -> None:
    if isinstance(value, Entries):
        for item in value.items:
            _fill(ElementTree.SubElement(element, value.element), item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, datetime):
        element.text = w3c.stamp(value)
    else:
        element.text = str(value)


class Open311Route(APIRoute):
    """A route whose every refusal is a GeoReport v2 error list in the format the
    path asks for (XML when the extension is neither), never the suite's JSON error
    object: a 311 client reads only the specification's shape. An unreachable
    store is 503 and anything unexpected 500, in the same shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            raw = str(request.path_params.get(FORMAT_PARAMETER, "xml"))
            fmt: Format = "json" if raw == "json" else "xml"
            try:
                return await handle(request)
            except Open311Error as error:
                return errors(
                    fmt, error.status_code, error.descriptions, headers=error.headers
                )
            except RequestValidationError as error:
                return errors(fmt, 400, [_problem(item) for item in error.errors()])
            except MinshengError as error:
                # Rate limits and an unreachable store keep their own status.
                return errors(
                    fmt, error.status_code, [error.message], headers=error.headers
                )
            except HTTPException as error:
                # A form the parser cannot read.
                return errors(fmt, error.status_code, [str(error.detail)])
            except Exception as error:
                if is_connection_error(error):
                    log.error(
                        "store unavailable while serving %s: %r", self.path, error
                    )
                    return errors(fmt, 503, ["the store is unavailable; try again"])
                log.exception("unexpected error while serving %s", self.path)
                return errors(fmt, 500, ["an unexpected error occurred"])

        return handler


def _problem(item: Mapping[str, object]) -> str:
    location = item.get("loc", ())
    parts = [str(part) for part in location] if isinstance(location, tuple) else []
    where = parts[-1] if parts else "request"
    return f"{where}: {item.get('msg', 'invalid')}"
