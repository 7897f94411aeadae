"""GET /requests, GET /requests/{id} and GET /tokens/{token} against GeoReport v2,
in JSON and XML: the fields, what only the filing client sees, the search by ids,
dates, status and service, every date and parameter error, and requests intake
did not file or refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from minsheng_common.clock import SharedClock
from minsheng_common.events import AppealAnswered, AppealRejected
from minsheng_common.timeutil import SHANGHAI
from minsheng_open311.settings import Open311Settings

File = Callable[..., Awaitable[httpx.Response]]
Poll = Callable[..., Awaitable[None]]
Deliver = Callable[..., Awaitable[bool]]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
PRIVATE = ["description", "address", "address_id", "lat", "long", "media_url"]


@pytest.fixture
def settings(settings: Open311Settings, tmp_path: Path) -> Open311Settings:
    settings.clock_file = tmp_path / "clock.json"
    settings.post_wait_seconds = 3.0
    return settings


@pytest.fixture
def clock(settings: Open311Settings) -> SharedClock:
    assert settings.clock_file is not None
    return SharedClock(settings.clock_file)


async def filed_id(file: File, **fields: str) -> str:
    answer = await file(**fields)
    assert answer.status_code == 201, answer.text
    request_id: str = answer.json()[0]["service_request_id"]
    assert request_id
    return request_id


async def test_open311_one_request_json_has_every_field_in_order(
    client: httpx.AsyncClient, file: File, intake: Any, client_key: str
) -> None:
    request_id = await filed_id(
        file, media_url="https://photos.example.org/1.jpg", address_id="A-17"
    )

    answer = await client.get(
        f"/requests/{request_id}.json", params={"api_key": client_key}
    )

    assert answer.status_code == 200
    [entry] = answer.json()
    assert list(entry) == REQUEST_FIELDS
    assert entry["service_request_id"] == request_id
    assert entry["status"] == "open"
    assert entry["status_notes"] == "已受理（立案），待分派承办单位"
    assert entry["service_name"] == "市容环卫"
    assert entry["service_code"] == "city-sanitation"
    assert entry["agency_responsible"] == "区民生诉求服务中心"
    assert entry["expected_datetime"] is None
    assert entry["zipcode"] is None
    assert entry["requested_datetime"].endswith("+08:00")
    assert datetime.fromisoformat(entry["updated_datetime"]) >= datetime.fromisoformat(
        entry["requested_datetime"]
    )
    # The filing client sees what it wrote.
    assert entry["description"] == "坪山街道六和社区和平路12号门口垃圾堆放三天无人清理"
    assert entry["address"] == "坪山区坪山街道和平路12号"
    assert entry["address_id"] == "A-17"
    assert (entry["lat"], entry["long"]) == (22.69, 114.35)
    assert entry["media_url"] == "https://photos.example.org/1.jpg"


async def test_open311_one_request_xml_has_the_specifications_elements(
    client: httpx.AsyncClient, file: File, intake: Any, xml: Any
) -> None:
    request_id = await filed_id(file)

    root = xml(await client.get(f"/requests/{request_id}.xml"))

    assert root.tag == "service_requests"
    assert [child.tag for child in root] == ["request"]
    assert [child.tag for child in root[0]] == REQUEST_FIELDS
    assert root[0].findtext("service_request_id") == request_id
    assert root[0].findtext("status") == "open"
    assert root[0].findtext("requested_datetime", "").endswith("+08:00")
    assert root[0].findtext("expected_datetime") == ""


@pytest.mark.parametrize("reader", ["anonymous", "other_client", "wechat_in_query"])
async def test_open311_only_the_filing_client_sees_what_the_citizen_wrote(
    client: httpx.AsyncClient,
    file: File,
    intake: Any,
    keys: dict[str, str],
    reader: str,
) -> None:
    request_id = await filed_id(file, media_url="https://photos.example.org/1.jpg")
    params = {"other_client": {"api_key": keys["other_client"]}}.get(reader, {})

    answer = await client.get(f"/requests/{request_id}.json", params=params)

    if reader == "wechat_in_query":
        wrong = await client.get(
            f"/requests/{request_id}.json", params={"api_key": keys["wechat"]}
        )
        assert wrong.status_code == 403, "a key that is given must be a client's"
    [entry] = answer.json()
    assert entry["status"] == "open"
    assert all(entry[name] is None for name in PRIVATE)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_an_unknown_request_is_404(
    client: httpx.AsyncClient, xml: Any, fmt: str
) -> None:
    answer = await client.get(f"/requests/PS20260101999999.{fmt}")

    assert answer.status_code == 404
    said = "service_request_id: PS20260101999999 is not known here"
    if fmt == "json":
        assert answer.json() == [{"code": 404, "description": said}]
    else:
        assert xml(answer)[0].findtext("description") == said


async def filed_with_appeal(file: File, intake: Any, **fields: str) -> tuple[str, str]:
    """(service_request_id, appeal id) of a request intake has decided on."""
    [entry] = (await file(**fields)).json()
    assert entry["service_request_id"], "intake answered within the wait"
    return entry["service_request_id"], intake.first_answers[entry["token"]]["id"]


async def test_open311_an_appeal_not_filed_is_closed_with_the_reason(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver, xml: Any
) -> None:
    request_id, appeal = await filed_with_appeal(file, intake, phone="")
    [decided] = (await client.get(f"/requests/{request_id}.json")).json()

    # The reason and advice come with intake's event.
    await deliver(
        AppealRejected(
            appeal_id=appeal,
            tracking_code=request_id,
            channel="open311",
            appeal_type="complaint",
            reason_code="missing_contact",
            article="Art. 11(2)1",
            detail="contact: none given",
            advice="请留下真实有效的联系方式后重新反映。",
            received_at=datetime.now(UTC),
            rejected_at=datetime.now(UTC),
        )
    )
    [entry] = (await client.get(f"/requests/{request_id}.json")).json()
    root = xml(await client.get(f"/requests/{request_id}.xml"))

    assert decided["status"] == "closed", "closed from intake's answer on"
    assert decided["status_notes"] == "不予受理：不符合受理条件。"
    assert entry["service_request_id"] == request_id
    assert entry["status"] == "closed"
    assert entry["status_notes"] == (
        "不予受理：未留真实有效的联系方式。请留下真实有效的联系方式后重新反映。"
    )
    assert entry["agency_responsible"] == "区民生诉求服务中心"
    assert root[0].findtext("status") == "closed"
    assert root[0].findtext("status_notes") == entry["status_notes"]


async def test_open311_a_consultation_answered_at_once_is_closed_with_the_answer(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed_with_appeal(
        file, intake, **{"attribute[type]": "consultation"}
    )

    await deliver(
        AppealAnswered(
            appeal_id=appeal,
            tracking_code=request_id,
            channel="open311",
            knowledge_entry_id="kb-1",
            answer="政务服务大厅工作日9:00至18:00办公",
            confidence=0.93,
            answered_at=datetime.now(UTC),
        )
    )
    [entry] = (await client.get(f"/requests/{request_id}.json")).json()

    assert entry["status"] == "closed"
    assert entry["status_notes"] == "已即时答复：政务服务大厅工作日9:00至18:00办公"


async def test_open311_a_request_intake_refuses_answers_closed_under_its_token(
    client: httpx.AsyncClient,
    file: File,
    fake_intake: Any,
    poll: Poll,
    xml: Any,
    settings: Open311Settings,
) -> None:
    settings.post_wait_seconds = 0
    token = (await file()).json()[0]["token"]
    fake_intake.refuse = {token}
    await fake_intake.start()

    async def known() -> bool:
        found = (await client.get(f"/tokens/{token}.json")).json()
        return bool(found[0]["service_request_id"])

    await poll(known)
    [entry] = (await client.get(f"/requests/{token}.json")).json()
    assert entry["service_request_id"] == token
    assert entry["status"] == "closed"
    assert entry["status_notes"] == (
        "未能受理：content has 6000 characters; at most 5000 are accepted"
    )
    listed = (await client.get("/requests.json")).json()
    assert [e["service_request_id"] for e in listed] == [token]


# --- tokens ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_a_token_gives_the_id_once_intake_has_the_request(
    client: httpx.AsyncClient,
    file: File,
    fake_intake: Any,
    poll: Poll,
    xml: Any,
    settings: Open311Settings,
    fmt: str,
) -> None:
    settings.post_wait_seconds = 0.1
    filed = await file(fmt)
    if fmt == "json":
        [entry] = filed.json()
        token, early_id = entry["token"], entry["service_request_id"]
    else:
        request = xml(filed)[0]
        token, early_id = (
            request.findtext("token"),
            request.findtext("service_request_id"),
        )
    assert not early_id, "intake is down: no id yet"

    before = await client.get(f"/tokens/{token}.{fmt}")
    await fake_intake.start()

    async def known() -> bool:
        found = (await client.get(f"/tokens/{token}.json")).json()
        return bool(found[0]["service_request_id"])

    await poll(known)
    after = await client.get(f"/tokens/{token}.{fmt}")
    tracking = fake_intake.first_answers[token]["tracking_code"]
    if fmt == "json":
        assert before.json() == [{"service_request_id": None, "token": token}]
        assert after.json() == [{"service_request_id": tracking, "token": token}]
    else:
        root = xml(after)
        assert root.tag == "service_requests"
        assert [child.tag for child in root[0]] == ["service_request_id", "token"]
        assert root[0].findtext("service_request_id") == tracking
        assert xml(before)[0].findtext("service_request_id") == ""
    assert (await client.get(f"/requests/{tracking}.json")).status_code == 200
    assert (await client.get(f"/requests/{token}.json")).status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_an_unknown_token_is_404(
    client: httpx.AsyncClient, xml: Any, fmt: str
) -> None:
    answer = await client.get(f"/tokens/no-such-token.{fmt}")

    assert answer.status_code == 404
    said = "token: no-such-token is not known here"
    if fmt == "json":
        assert answer.json() == [{"code": 404, "description": said}]
    else:
        assert xml(answer)[0].findtext("description") == said


async def test_open311_a_pending_request_is_not_listed(
    client: httpx.AsyncClient, file: File, settings: Open311Settings
) -> None:
    settings.post_wait_seconds = 0
    await file()

    assert (await client.get("/requests.json")).json() == []


# --- the search --------------------------------------------------------------------


async def test_open311_search_by_ids_keeps_their_order_and_ignores_the_rest(
    client: httpx.AsyncClient, file: File, intake: Any
) -> None:
    first = await filed_id(file)
    second = await filed_id(file, phone="")

    answer = await client.get(
        "/requests.json",
        params={
            "service_request_id": f"{second}, PS20000101000000,{first}",
            "status": "nonsense",
            "start_date": "not a date",
        },
    )

    assert answer.status_code == 200
    assert [e["service_request_id"] for e in answer.json()] == [second, first]


async def test_open311_at_most_so_many_ids_at_once(client: httpx.AsyncClient) -> None:
    ids = ",".join(f"PS{n:014d}" for n in range(101))

    answer = await client.get("/requests.json", params={"service_request_id": ids})

    assert answer.status_code == 400
    assert answer.json() == [
        {
            "code": 400,
            "description": "service_request_id: at most 100 ids at once, 101 given",
        }
    ]


async def test_open311_search_by_status_and_service(
    client: httpx.AsyncClient, file: File, intake: Any
) -> None:
    open_one = await filed_id(file)
    closed_one = await filed_id(file, phone="")
    transport = await filed_id(file, service_code="transport")

    async def found(**params: str) -> list[str]:
        answer = await client.get("/requests.json", params=params)
        assert answer.status_code == 200, answer.text
        return [entry["service_request_id"] for entry in answer.json()]

    assert await found() == [transport, closed_one, open_one], "newest first"
    assert await found(status="open") == [transport, open_one]
    assert await found(status="closed") == [closed_one]
    assert await found(status="open,closed") == [transport, closed_one, open_one]
    assert await found(status="OPEN") == [transport, open_one]
    assert await found(service_code="transport") == [transport]
    assert await found(service_code="transport,city-sanitation", status="closed") == [
        closed_one
    ]
    assert await found(service_code="potholes") == []
    assert await found(jurisdiction_id="", status="", service_code="") == [
        transport,
        closed_one,
        open_one,
    ]


async def test_open311_search_by_dates_of_at_most_90_days(
    client: httpx.AsyncClient, file: File, intake: Any, clock: SharedClock
) -> None:
    start = clock.set_now(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    old = await filed_id(file)
    clock.advance(timedelta(days=100))
    new = await filed_id(file)

    async def found(**params: str) -> list[str]:
        answer = await client.get("/requests.json", params=params)
        assert answer.status_code == 200, answer.text
        return [entry["service_request_id"] for entry in answer.json()]

    assert await found() == [new], "the last 90 days by default"
    assert await found(start_date="2026-03-02T08:00:00+08:00") == [old]
    assert await found(end_date="2026-03-03T00:00:00Z") == [old]
    assert await found(
        start_date="2026-03-02T00:59:59.999999999Z",
        end_date="2026-03-02T01:00:30.5Z",
    ) == [old], "fractional seconds of any length"
    assert (
        await found(
            start_date="2026-03-02T09:00:30+08:00", end_date="2026-05-01T00:00+08:00"
        )
        == []
    ), "a span between the two finds neither"
    at = (start + timedelta(days=100)).astimezone(SHANGHAI)
    # An unescaped + reaches the server as a space.
    response = await client.get(
        f"/requests.json?start_date={at:%Y-%m-%dT%H:%M}+08:00&end_date="
        f"{at + timedelta(days=1):%Y-%m-%dT%H:%M:%S}+08:00"
    )
    assert [e["service_request_id"] for e in response.json()] == [new]


@pytest.mark.parametrize(
    ("params", "said"),
    [
        (
            {"start_date": "2026-03-02T09:30:00"},
            "start_date: '2026-03-02T09:30:00' has no offset from UTC; add Z or "
            "±hh:mm, e.g. 2026-03-02T09:30:00+08:00",
        ),
        (
            {"end_date": "2026-03-02"},
            "end_date: '2026-03-02' is a date without a time and an offset; give "
            "both, e.g. 2026-03-02T09:30:00+08:00",
        ),
        (
            {"start_date": "yesterday"},
            "start_date: 'yesterday' is not a W3C date and time, e.g. "
            "2026-03-02T09:30:00+08:00",
        ),
        (
            {"start_date": "2026-02-30T09:30:00+08:00"},
            "start_date: '2026-02-30T09:30:00+08:00' names no such day or time",
        ),
        (
            {"start_date": "2026-03-02T09:30:00+25:00"},
            "start_date: '2026-03-02T09:30:00+25:00' names no such day or time",
        ),
        (
            {
                "start_date": "2026-01-01T00:00:00+08:00",
                "end_date": "2026-04-01T00:00:01+08:00",
            },
            "start_date, end_date: at most 90 days apart; ask for a shorter span",
        ),
        (
            {
                "start_date": "2026-03-02T00:00:00Z",
                "end_date": "2026-03-01T00:00:00Z",
            },
            "start_date: is later than end_date",
        ),
        ({"status": "pending"}, "status: pending is not a status; use open or closed"),
    ],
)
async def test_open311_a_malformed_search_is_400(
    client: httpx.AsyncClient, params: dict[str, str], said: str
) -> None:
    answer = await client.get("/requests.json", params=params)

    assert answer.status_code == 400
    assert answer.json() == [{"code": 400, "description": said}]


async def test_open311_every_search_problem_at_once_in_xml(
    client: httpx.AsyncClient, xml: Any
) -> None:
    answer = await client.get(
        "/requests.xml",
        params={
            "start_date": "2026-03-02T09:30",
            "end_date": "2026-03-02",
            "status": "new",
        },
    )

    assert answer.status_code == 400
    root = xml(answer)
    assert root.tag == "errors"
    descriptions = [error.findtext("description") or "" for error in root]
    assert [d.split(":")[0] for d in descriptions] == [
        "start_date",
        "end_date",
        "status",
    ]
    assert "no offset" in descriptions[0]


async def test_open311_exactly_90_days_is_allowed(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        "/requests.json",
        params={
            "start_date": "2026-01-01T00:00:00+08:00",
            "end_date": "2026-04-01T00:00:00+08:00",
        },
    )

    assert answer.status_code == 200
    assert answer.json() == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_searching_another_jurisdiction_is_404(
    client: httpx.AsyncClient, xml: Any, fmt: str
) -> None:
    for path in ("/requests", "/requests/PS1", "/tokens/t"):
        answer = await client.get(f"{path}.{fmt}", params={"jurisdiction_id": "x"})

        assert answer.status_code == 404
        if fmt == "xml":
            assert xml(answer)[0].findtext("code") == "404"
