"""POST /requests against GeoReport v2, in JSON and XML: the answer's shape, what
reaches intake, the api_key (403), and every 400 a client can cause."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from minsheng_common.auth import hashing, provisioning
from minsheng_open311.settings import Open311Settings

File = Callable[..., Awaitable[httpx.Response]]
ANSWER_FIELDS = ["service_request_id", "token", "service_notice", "account_id"]


async def test_open311_filing_json_answers_with_token_and_id(
    file: File, intake: Any
) -> None:
    answer = await file(account_id="app-user-7")

    assert answer.status_code == 201
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    [entry] = answer.json()
    assert list(entry) == ANSWER_FIELDS
    [sent] = intake.received
    assert entry["token"] == sent.channel_ref
    assert (
        entry["service_request_id"]
        == intake.first_answers[sent.channel_ref]["tracking_code"]
    )
    assert entry["service_notice"] == "已受理（立案），待分派承办单位"
    assert entry["account_id"] == "app-user-7"


async def test_open311_filing_xml_answers_with_the_specifications_elements(
    file: File, intake: Any, xml: Any
) -> None:
    answer = await file("xml")

    assert answer.status_code == 201
    root = xml(answer)
    assert root.tag == "service_requests"
    assert [child.tag for child in root] == ["request"]
    assert [child.tag for child in root[0]] == ANSWER_FIELDS
    assert root[0].findtext("service_request_id", "").startswith("PS2026")
    assert root[0].findtext("account_id") == ""


async def test_open311_what_intake_receives(file: File, intake: Any) -> None:
    answer = await file(
        email="Citizen@Example.org",
        first_name="三",
        last_name="张",
        media_url="https://photos.example.org/p/1.jpg",
        address_string="和平路12号",
        device_id="ignored-device",
        **{
            "attribute[type]": "complaint",
            "attribute[subdistrict]": "pingshan-jd",
            "attribute[community]": "和平社区",
            "attribute[consent_to_disclose]": "true",
            "attribute[unknown_attribute]": "ignored",
        },
    )

    assert answer.status_code == 201
    [sent] = intake.received
    body = sent.body
    assert body["channel"] == "open311"
    assert body["channel_ref"] == answer.json()[0]["token"]
    assert body["category_hint"] == "city-sanitation"
    assert body["type"] == "complaint"
    assert body["content"] == "坪山街道六和社区和平路12号门口垃圾堆放三天无人清理"
    assert body["title"] == body["content"], "a short description is its own title"
    assert body["contact"] == {"kind": "phone", "value": "13800138000"}
    assert body["second_contact"] == {"kind": "email", "value": "Citizen@Example.org"}
    assert body["name"] == "张三", "a Chinese name: family name first"
    assert body["address"] == "坪山街道和平社区和平路12号"
    assert body["coordinates"] == {"latitude": 22.69, "longitude": 114.35}
    assert body["attachments"] == ["https://photos.example.org/p/1.jpg"]
    assert body["consent_to_disclose"] is True
    assert body["received_at"].endswith("+08:00")
    assert "device_id" not in body


async def test_open311_an_address_naming_its_subdistrict_is_not_prefixed_twice(
    file: File, intake: Any
) -> None:
    await file(
        description="路灯不亮。" * 20,
        **{"attribute[subdistrict]": "pingshan-jd", "attribute[title]": "路灯不亮"},
    )

    [sent] = intake.received
    assert sent.body["address"] == "坪山区坪山街道和平路12号"
    assert sent.body["title"] == "路灯不亮"
    assert sent.body["type"] is None, "intake reads the type from the text"


async def test_open311_a_long_first_line_makes_a_short_title(
    file: File, intake: Any
) -> None:
    await file(description="坪山" + "很" * 60 + "吵\n第二行")

    [sent] = intake.received
    assert len(sent.body["title"]) == 40
    assert sent.body["title"].endswith("…")


async def test_open311_a_western_name_and_email_alone(file: File, intake: Any) -> None:
    await file(phone="", email="a@b.cn", first_name="Ada", last_name="Lovelace")

    [sent] = intake.received
    assert sent.body["name"] == "Ada Lovelace"
    assert sent.body["contact"] == {"kind": "email", "value": "a@b.cn"}
    assert sent.body["second_contact"] is None


async def test_open311_the_key_may_come_as_the_header(
    client: httpx.AsyncClient, client_key: str, valid_form: dict[str, str], intake: Any
) -> None:
    answer = await client.post(
        "/requests.json", data=valid_form, headers={"X-API-Key": client_key}
    )

    assert answer.status_code == 201


async def test_open311_a_center_operator_may_file(
    client: httpx.AsyncClient, keys: dict[str, str], valid_form: dict[str, str]
) -> None:
    answer = await client.post(
        "/requests.json", data={**valid_form, "api_key": keys["operator"]}
    )

    assert answer.status_code == 201


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("who", "said"),
    [
        (None, "api_key: required to file a request"),
        ("ms_nokey_nosecret", "api_key: the API key is not valid"),
        ("not-even-shaped-like-a-key", "api_key: the API key is not valid"),
        ("wechat", "api_key: not a key of a 311 client (a channel key of open311)"),
        ("unit", "api_key: not a key of a 311 client (a channel key of open311)"),
        ("dashboard", "api_key: not a key of a 311 client (a channel key of open311)"),
    ],
)
async def test_open311_filing_without_a_311_clients_key_is_403(
    client: httpx.AsyncClient,
    keys: dict[str, str],
    valid_form: dict[str, str],
    xml: Any,
    intake: Any,
    fmt: str,
    who: str | None,
    said: str,
) -> None:
    form = dict(valid_form)
    if who is not None:
        form["api_key"] = keys.get(who, who)

    answer = await client.post(f"/requests.{fmt}", data=form)

    assert answer.status_code == 403
    if fmt == "json":
        assert answer.json() == [{"code": 403, "description": said}]
    else:
        root = xml(answer)
        assert root.tag == "errors"
        assert [child.tag for child in root[0]] == ["code", "description"]
        assert root[0].findtext("code") == "403"
        assert root[0].findtext("description") == said
    assert intake.received == [], "nothing is stored or sent"


async def test_open311_a_revoked_or_expired_key_is_403(
    client: httpx.AsyncClient,
    settings: Open311Settings,
    keys: dict[str, str],
    valid_form: dict[str, str],
) -> None:
    path = settings.credentials_path()
    expired = provisioning.add_key(
        path,
        name="old app",
        role=provisioning.Role.CHANNEL,
        channel_id="open311",
        expires_in=timedelta(seconds=-1),
    )
    key_id, _ = hashing.split_api_key(keys["other_client"]) or ("", "")
    provisioning.revoke_key(path, key_id)

    for key in (expired, keys["other_client"]):
        answer = await client.post(
            "/requests.json", data={**valid_form, "api_key": key}
        )

        assert answer.status_code == 403
        assert answer.json() == [
            {
                "code": 403,
                "description": "api_key: the API key has expired or was revoked",
            }
        ]


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"service_code": ""}, "service_code: required"),
        ({"service_code": "potholes"}, "service_code: potholes is not a service here"),
        (
            {"lat": "", "long": "", "address_string": ""},
            "lat, long, address_string, address_id: a location is required "
            "(lat and long, address_string or address_id)",
        ),
        ({"long": ""}, "lat, long: give both or neither"),
        ({"lat": "north"}, "lat: 'north' is not a number"),
        ({"lat": "91"}, "lat: 91 is outside -90…90"),
        ({"long": "nan"}, "long: nan is outside -180…180"),
        (
            {"description": "x" * 4001},
            "description: 4001 characters; at most 4000 are accepted",
        ),
        (
            {"attribute[title]": "t" * 201},
            "attribute[title]: 201 characters; at most 200 are accepted",
        ),
        ({"address_string": "路" * 451}, "address_string: 451 characters; at most 450"),
        (
            {"media_url": "ftp://example.org/a.jpg"},
            "media_url: not an http or https URL",
        ),
        ({"email": "not-an-address"}, "email: not an email address"),
        ({"phone": "1" * 201}, "phone: 201 characters; at most 200"),
        (
            {"first_name": "名" * 30, "last_name": "姓" * 30},
            "first_name, last_name: 60 characters; at most 50",
        ),
        (
            {"attribute[type]": "praise"},
            "attribute[type]: praise is not one of complaint, consultation, suggestion",
        ),
        (
            {"attribute[subdistrict]": "haidian"},
            "attribute[subdistrict]: haidian is not one of pingshan-jd, maluan-jd, "
            "biling-jd, shijing-jd, kengzi-jd, longtian-jd",
        ),
        (
            {"attribute[consent_to_disclose]": "yes"},
            "attribute[consent_to_disclose]: yes is not one of true, false",
        ),
    ],
)
async def test_open311_a_malformed_request_is_400(
    file: File, intake: Any, fields: dict[str, str], said: str
) -> None:
    answer = await file(**fields)

    assert answer.status_code == 400
    assert answer.json() == [{"code": 400, "description": said}]
    assert intake.received == []


async def test_open311_every_problem_is_listed_at_once_in_xml(
    file: File, xml: Any
) -> None:
    answer = await file("xml", service_code="", lat="x", email="nope")

    assert answer.status_code == 400
    root = xml(answer)
    assert [error.findtext("code") for error in root] == ["400", "400", "400"]
    assert [error.findtext("description") for error in root] == [
        "service_code: required",
        "lat: 'x' is not a number",
        "email: not an email address",
    ]


async def test_open311_a_body_that_is_not_a_form_is_400(
    client: httpx.AsyncClient, client_key: str, valid_form: dict[str, str]
) -> None:
    answer = await client.post(
        "/requests.json", json={**valid_form, "api_key": client_key}
    )

    assert answer.status_code == 400
    assert answer.json() == [
        {
            "code": 400,
            "description": "the body must be form-encoded "
            "(application/x-www-form-urlencoded)",
        }
    ]


async def test_open311_a_multipart_form_is_taken(
    client: httpx.AsyncClient, client_key: str, valid_form: dict[str, str], intake: Any
) -> None:
    answer = await client.post(
        "/requests.json",
        data={**valid_form, "api_key": client_key},
        files={"media": ("photo.jpg", b"\xff\xd8", "image/jpeg")},
    )

    assert answer.status_code == 201
    assert intake.received[0].body["attachments"] == []


@pytest.mark.parametrize("jurisdiction", ["", "pingshan"])
async def test_open311_filing_with_the_jurisdiction_or_an_empty_one(
    file: File, intake: Any, jurisdiction: str
) -> None:
    answer = await file(jurisdiction_id=jurisdiction or " ")

    assert answer.status_code == 201


async def test_open311_filing_for_another_jurisdiction_is_404(
    file: File, intake: Any
) -> None:
    answer = await file(jurisdiction_id="shanghai")

    assert answer.status_code == 404
    assert answer.json() == [
        {"code": 404, "description": "jurisdiction_id: shanghai is not served here"}
    ]
    assert intake.received == []


async def test_open311_the_logs_name_the_token_not_the_citizen(
    file: File, intake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="minsheng_open311")

    answer = await file(first_name="三", last_name="张", email="zhang@example.org")

    token = answer.json()[0]["token"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token in logged
    for private in ("13800138000", "zhang@example.org", "张三", "垃圾堆放", "和平路"):
        assert private not in logged
