"""GET /services and GET /services/{service_code} against GeoReport v2, in JSON and
XML: the district's categories (Art. 8) from the reference data, their attributes,
and every error: an unknown service, format or jurisdiction."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from minsheng_common.reference import load_reference

SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
REFERENCE = load_reference()


def tags(element: ElementTree.Element) -> list[str]:
    return [child.tag for child in element]


async def test_open311_services_json_lists_every_category(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/services.json")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    services = answer.json()
    assert [s["service_code"] for s in services] == [c.id for c in REFERENCE.categories]
    assert all(list(service) == SERVICE_FIELDS for service in services)
    transport = next(s for s in services if s["service_code"] == "transport")
    assert transport["service_name"] == "交通运输"
    assert transport["metadata"] is True
    assert transport["type"] == "batch"
    assert transport["keywords"] == "违停,信号灯"
    assert "区交通运输局" in transport["description"]


async def test_open311_services_xml_has_the_specifications_elements(
    client: httpx.AsyncClient,
    xml: Any,
) -> None:
    root = xml(await client.get("/services.xml"))

    assert root.tag == "services"
    assert set(tags(root)) == {"service"}
    assert len(root) == len(REFERENCE.categories)
    assert all(tags(service) == SERVICE_FIELDS for service in root)
    first = root[0]
    assert first.findtext("service_code") == REFERENCE.categories[0].id
    assert first.findtext("metadata") == "true"
    assert first.findtext("type") == "batch"


async def test_open311_a_service_definition_json(client: httpx.AsyncClient) -> None:
    answer = await client.get("/services/city-sanitation.json")

    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == ["service_code", "attributes"]
    assert body["service_code"] == "city-sanitation"
    attributes = body["attributes"]
    assert [a["code"] for a in attributes] == [
        "type",
        "title",
        "subdistrict",
        "community",
        "consent_to_disclose",
        "time_limits",
    ]
    assert all(list(a) == ATTRIBUTE_FIELDS for a in attributes)
    assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5, 6]
    by_code = {a["code"]: a for a in attributes}
    assert by_code["type"]["datatype"] == "singlevaluelist"
    assert by_code["type"]["values"] == [
        {"key": "complaint", "name": "投诉"},
        {"key": "consultation", "name": "咨询"},
        {"key": "suggestion", "name": "建议"},
    ]
    assert by_code["subdistrict"]["values"] == [
        {"key": s.id, "name": s.name} for s in REFERENCE.subdistricts
    ]
    assert {"key": "和平社区", "name": "和平社区"} in by_code["community"]["values"]
    assert by_code["title"]["datatype"] == "string"
    assert by_code["title"]["values"] is None
    assert all(a["required"] is False for a in attributes)
    # Art. 15: information, not a value to submit.
    limits = by_code["time_limits"]
    assert limits["variable"] is False
    assert "投诉7个工作日" in limits["description"]


async def test_open311_a_service_definition_xml(
    client: httpx.AsyncClient, xml: Any
) -> None:
    root = xml(await client.get("/services/transport.xml"))

    assert root.tag == "service_definition"
    assert tags(root) == ["service_code", "attributes"]
    attributes = root.find("attributes")
    assert attributes is not None
    assert set(tags(attributes)) == {"attribute"}
    assert all(tags(attribute) == ATTRIBUTE_FIELDS for attribute in attributes)
    kind = attributes[0]
    assert kind.findtext("variable") == "true"
    assert kind.findtext("required") == "false"
    values = kind.find("values")
    assert values is not None
    assert set(tags(values)) == {"value"}
    assert [tags(value) for value in values] == [["key", "name"]] * 3
    assert [value.findtext("key") for value in values] == [
        "complaint",
        "consultation",
        "suggestion",
    ]
    # A string attribute has an empty list of values.
    empty = attributes[1].find("values")
    assert empty is not None
    assert len(empty) == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_an_unknown_service_is_404(
    client: httpx.AsyncClient, xml: Any, fmt: str
) -> None:
    answer = await client.get(f"/services/potholes.{fmt}")

    assert answer.status_code == 404
    if fmt == "json":
        assert answer.json() == [
            {"code": 404, "description": "service_code: potholes is not a service here"}
        ]
    else:
        root = xml(answer)
        assert root.tag == "errors"
        assert [tags(error) for error in root] == [["code", "description"]]
        assert root[0].findtext("code") == "404"
        assert "potholes" in (root[0].findtext("description") or "")


@pytest.mark.parametrize(
    "path", ["/services.csv", "/services/transport.html", "/services.JSON"]
)
async def test_open311_a_format_other_than_json_or_xml_is_404_in_xml(
    client: httpx.AsyncClient, xml: Any, path: str
) -> None:
    answer = await client.get(path)

    assert answer.status_code == 404
    root = xml(answer)
    assert root.tag == "errors"
    assert "use .json or .xml" in (root[0].findtext("description") or "")


@pytest.mark.parametrize("jurisdiction", ["", "pingshan", "440310", "  "])
async def test_open311_the_districts_jurisdiction_or_none_is_served(
    client: httpx.AsyncClient, jurisdiction: str
) -> None:
    answer = await client.get(
        "/services.json", params={"jurisdiction_id": jurisdiction}
    )
    definition = await client.get(
        "/services/transport.json", params={"jurisdiction_id": jurisdiction}
    )

    assert answer.status_code == 200
    assert definition.status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_another_jurisdiction_is_404(
    client: httpx.AsyncClient, xml: Any, fmt: str
) -> None:
    for path in ("/services", "/services/transport"):
        answer = await client.get(
            f"{path}.{fmt}", params={"jurisdiction_id": "beijing"}
        )

        assert answer.status_code == 404
        if fmt == "json":
            assert answer.json() == [
                {
                    "code": 404,
                    "description": "jurisdiction_id: beijing is not served here",
                }
            ]
        else:
            assert xml(answer)[0].findtext("code") == "404"
