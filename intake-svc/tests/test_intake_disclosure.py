"""The citizen's name and contact: stored only encrypted, in events only encrypted,
texts leaving intake redacted, and every disclosure in clear on the record (Art.
41)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.models import Appeal, ContactDisclosure

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]
Submit = Callable[..., Awaitable[dict[str, Any]]]
Dispatch = Callable[[str, str], Awaitable[None]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]

CITIZEN = {
    "name": " 王\u200b小明 ",
    "contact": {"kind": "phone", "value": "13800012345"},
    "title": "王小明反映噪音扰民",
    "content": "坑梓街道秀新社区3栋1502夜间施工，王小明电话13911112222，"
    "邮箱wxm@163.com，身份证440306199001011234。",
    "address": "坑梓街道秀新社区3栋1502，座机0755-28339260",
}


async def stored(app: FastAPI, appeal_id: str) -> Appeal:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        return appeal


async def audit_rows(app: FastAPI) -> list[ContactDisclosure]:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        return list(await session.scalars(select(ContactDisclosure)))


async def disclose(
    client_for: ClientFor, caller: str, appeal_id: str, reason: str = "回访核实诉求"
) -> httpx.Response:
    async with client_for(caller) as http:
        return await http.post(
            f"/v1/appeals/{appeal_id}/contact-disclosures", json={"reason": reason}
        )


async def test_the_name_is_stored_only_encrypted_and_normalised(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit(**CITIZEN)

    row = await stored(app, appeal["id"])
    assert row.name_encrypted is not None
    assert "王小明" not in row.name_encrypted
    assert app.state.context.vault.decrypt(row.name_encrypted) == "王小明"
    assert "name" not in appeal


async def test_the_store_keeps_the_original_texts(app: FastAPI, submit: Submit) -> None:
    appeal = await submit(**CITIZEN)

    row = await stored(app, appeal["id"])
    assert row.content == CITIZEN["content"]
    assert row.address == CITIZEN["address"]


async def test_appeal_filed_carries_redacted_texts_and_only_encrypted_personal_data(
    submit: Submit, events: Events
) -> None:
    await submit(**CITIZEN, consent_to_disclose=True)

    filed = (await events())[1]["data"]
    assert filed["title"] == "王**反映噪音扰民"
    assert filed["content"] == (
        "坑梓街道秀新社区3栋1502夜间施工，王**电话139****2222，"
        "邮箱[邮箱]，身份证[身份证号]。"
    )
    assert filed["address"] == "坑梓街道秀新社区3栋1502，座机0755-****9260"
    assert filed["name_encrypted"]
    assert filed["consent_to_disclose"] is True
    text = json.dumps(filed, ensure_ascii=False)
    for personal in ("王小明", "13800012345", "13911112222", "wxm@", "440306199"):
        assert personal not in text


async def test_appeal_rejected_carries_no_personal_data_in_clear(
    submit: Submit, events: Events
) -> None:
    await submit(**{**CITIZEN, "address": None, "content": "K8县王小明13911112222"})

    decided = (await events())[1]
    assert decided["type"] == "appeal.rejected"
    text = json.dumps(decided, ensure_ascii=False)
    for personal in ("王小明", "13800012345", "13911112222"):
        assert personal not in text


async def test_the_center_gets_the_contact_and_name_on_the_record(
    app: FastAPI,
    client_for: ClientFor,
    submit: Submit,
    caplog: pytest.LogCaptureFixture,
) -> None:
    appeal = await submit(**CITIZEN)

    with caplog.at_level(logging.INFO):
        answer = await disclose(client_for, "operator", appeal["id"])

    assert answer.status_code == 201
    body = answer.json()
    assert body["contact"] == {"kind": "phone", "value": "+8613800012345"}
    assert body["name"] == "王小明"
    assert (body["title"], body["content"], body["address"]) == (
        CITIZEN["title"],
        CITIZEN["content"],
        CITIZEN["address"],
    )
    [row] = await audit_rows(app)
    assert (row.appeal_id, row.role, row.unit_id, row.reason) == (
        appeal["id"],
        "operator",
        None,
        "回访核实诉求",
    )
    assert row.who.startswith("operator:")
    [warning] = [r for r in caplog.records if "disclosed to" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == (
        f"contact of appeal {appeal['id']} disclosed to {row.who}: 回访核实诉求"
    )
    assert "13800012345" not in caplog.text
    assert "王小明" not in caplog.text


async def test_a_unit_gets_the_contact_of_its_appeal_when_the_citizen_consented(
    app: FastAPI, client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    appeal = await submit(**CITIZEN, consent_to_disclose=True)
    await dispatch(appeal["id"], "cgj")

    answer = await disclose(client_for, "cgj", appeal["id"])

    assert answer.status_code == 201
    assert answer.json()["contact"]["value"] == "+8613800012345"
    [row] = await audit_rows(app)
    assert (row.role, row.unit_id) == ("unit", "cgj")
    assert row.who.endswith("@cgj")


async def test_a_unit_without_consent_is_refused_and_nothing_is_recorded(
    app: FastAPI,
    client_for: ClientFor,
    submit: Submit,
    dispatch: Dispatch,
) -> None:
    appeal = await submit(**CITIZEN, consent_to_disclose=False)
    await dispatch(appeal["id"], "cgj")

    answer = await disclose(client_for, "cgj", appeal["id"])

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "no_consent"
    assert "13800012345" not in answer.text
    assert await audit_rows(app) == []


async def test_another_units_appeal_answers_404_even_with_consent(
    app: FastAPI, client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    appeal = await submit(**CITIZEN, consent_to_disclose=True)
    await dispatch(appeal["id"], "cgj")

    other = await disclose(client_for, "jtj", appeal["id"])
    missing = await disclose(client_for, "jtj", "no-such-appeal")

    assert other.status_code == missing.status_code == 404
    assert other.json()["error"]["code"] == "appeal_not_found"
    assert await audit_rows(app) == []


async def test_the_center_lists_the_disclosures_of_an_appeal(
    client: httpx.AsyncClient,
    client_for: ClientFor,
    submit: Submit,
    dispatch: Dispatch,
) -> None:
    appeal = await submit(**CITIZEN, consent_to_disclose=True)
    other = await submit(channel_ref="other")
    await dispatch(appeal["id"], "cgj")
    await disclose(client_for, "cgj", appeal["id"], "联系市民约定上门时间")
    await disclose(client_for, "supervisor", appeal["id"], "核查办理情况")
    await disclose(client_for, "operator", other["id"], "另一件")

    answer = await client.get(f"/v1/appeals/{appeal['id']}/contact-disclosures")

    items = answer.json()["items"]
    assert [(i["role"], i["unit_id"], i["reason"]) for i in items] == [
        ("unit", "cgj", "联系市民约定上门时间"),
        ("supervisor", None, "核查办理情况"),
    ]
    assert "13800012345" not in answer.text


async def test_the_disclosures_of_a_missing_appeal_are_not_found(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/appeals/nope/contact-disclosures")
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "reason",
    ["", "为何", "  \u200b  为何 ", "x" * 201, "....", "1234", "？？？？", "a.b.c"],
)
async def test_a_disclosure_needs_a_reason_of_4_to_200_characters_said_in_words(
    app: FastAPI, client_for: ClientFor, submit: Submit, reason: str
) -> None:
    appeal = await submit()

    answer = await disclose(client_for, "operator", appeal["id"], reason)

    assert answer.status_code == 422
    assert await audit_rows(app) == []


async def test_an_appeal_without_a_contact_discloses_none(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(contact=None)

    answer = await disclose(client_for, "operator", appeal["id"])

    assert answer.status_code == 201
    assert answer.json()["contact"] is None
    assert answer.json()["name"] is None


async def test_the_log_of_a_disclosure_masks_personal_data_quoted_in_the_reason(
    client_for: ClientFor, submit: Submit, caplog: pytest.LogCaptureFixture
) -> None:
    appeal = await submit(**CITIZEN)

    with caplog.at_level(logging.INFO):
        answer = await disclose(
            client_for, "operator", appeal["id"], "王小明说13800012345打不通"
        )

    assert answer.status_code == 201
    assert "王**说138****2345打不通" in caplog.text
    assert "13800012345" not in caplog.text
    assert "王小明" not in caplog.text


async def test_submitting_logs_no_personal_data(
    submit: Submit, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="minsheng_intake"):
        await submit(**CITIZEN)

    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("minsheng")
    )
    assert "appeal " in ours
    for personal in ("王小明", "13800012345", "13911112222", "1502", "wxm@"):
        assert personal not in ours


PERSONAL_TEXTS = ("王小明", "13911112222", "wxm@", "440306199", "28339260")


async def test_every_answer_shows_the_texts_redacted_even_to_the_center(
    client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    posted = await submit(**CITIZEN)
    await dispatch(posted["id"], "cgj")

    async with client_for("supervisor") as http:
        one = (await http.get(f"/v1/appeals/{posted['id']}")).json()
        listed = (await http.get("/v1/appeals")).json()["items"]
    async with client_for("cgj") as http:
        held = (await http.get(f"/v1/appeals/{posted['id']}")).json()

    for seen in (posted, one, *listed, held):
        assert seen["title"] == "王**反映噪音扰民"
        assert seen["address"] == "坑梓街道秀新社区3栋1502，座机0755-****9260"
        text = json.dumps(seen, ensure_ascii=False)
        for personal in PERSONAL_TEXTS:
            assert personal not in text


async def test_the_original_texts_come_only_through_a_recorded_disclosure(
    app: FastAPI, client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    appeal = await submit(**CITIZEN, consent_to_disclose=True)
    await dispatch(appeal["id"], "cgj")

    answer = await disclose(client_for, "cgj", appeal["id"])

    assert answer.json()["content"] == CITIZEN["content"]
    [row] = await audit_rows(app)
    assert (row.appeal_id, row.unit_id) == (appeal["id"], "cgj")


async def test_appeal_received_carries_the_channel_reference_redacted(
    app: FastAPI,
    client: httpx.AsyncClient,
    submit: Submit,
    events: Events,
    body: Callable[..., dict[str, Any]],
) -> None:
    first = await submit(channel_ref="wx-13911112222-0001")
    again = await client.post(
        "/v1/appeals", json=body(channel_ref="wx-13911112222-0001")
    )

    received = (await events())[0]
    assert received["type"] == "appeal.received"
    assert received["data"]["channel_ref"] == "wx-139**********01"
    assert (await stored(app, first["id"])).channel_ref == "wx-13911112222-0001"
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert len(await events()) == 2
    assert first["channel_ref"] == "wx-139**********01"


async def test_appeal_filed_carries_the_attachment_links_redacted(
    app: FastAPI, submit: Submit, events: Events
) -> None:
    links = [
        "https://files.example.cn/u/13911112222/photo.jpg?owner=wxm%40163.com",
        "https://files.example.cn/a/before.jpg",
    ]
    appeal = await submit(attachments=links)

    filed = (await events())[1]["data"]
    assert filed["attachments"] == [
        "https://files.example.cn/u/139****2222/photo.jpg"
        "?owner=%5B%E9%82%AE%E7%AE%B1%5D",
        "https://files.example.cn/a/before.jpg",
    ]
    assert (await stored(app, appeal["id"])).attachments == links


async def test_submitting_logs_the_channel_reference_only_redacted(
    submit: Submit, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="minsheng_intake"):
        appeal = await submit(channel_ref="wx-13911112222-0001")

    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("minsheng")
    )
    assert f"appeal {appeal['id']}" in ours
    assert "13911112222" not in ours
