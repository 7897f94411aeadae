"""Responsibility named by the center holds against a return (Art. 25, 26): a
first-asked unit owns its order to the end; the main unit a first-handler rule
names cannot give it back while that rule stands."""

from __future__ import annotations

from typing import Any

import httpx

from minsheng_dispatch.admin import responsibility

Life = Any
"""The `life` fixture of conftest.py: dispatch running with clients and events."""


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


async def name(life: Life, order: dict[str, Any], kind: responsibility.Kind) -> None:
    async with life.app.state.runtime.sessions() as session, session.begin():
        responsibility.name(
            session,
            work_order_id=order["id"],
            kind=kind,
            unit_id=order["unit_id"],
            named_by="operator:wang",
            reason="紧急，先行处置",
            at=life.now(),
        )


async def test_dispatch_special_first_asked_unit_cannot_return_art_25(
    life: Life,
) -> None:
    order = await life.file()
    await name(life, order, responsibility.Kind.FIRST_ASKED)

    response = await life.cgj.post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位"}
    )

    assert response.status_code == 409
    assert error(response)["code"] == "first_asked_cannot_return"
    assert "Art. 25" in error(response)["message"]
    assert (await life.order(order["id"]))["status"] == "dispatched"
    assert "work_order.return_requested" not in await life.event_types()


async def test_dispatch_special_first_handler_without_a_rule_cannot_return_art_26(
    life: Life,
) -> None:
    order = await life.file()
    await name(life, order, responsibility.Kind.FIRST_HANDLER)

    response = await life.cgj.post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位"}
    )

    assert response.status_code == 409
    assert error(response)["code"] == "first_handler_cannot_return"
    assert "Art. 26" in error(response)["message"]


async def test_dispatch_special_an_unnamed_unit_still_returns(life: Life) -> None:
    order = await life.file()
    other = await life.file("appeal-2", tracking_code="MS20260309000002")
    await name(life, other, responsibility.Kind.FIRST_ASKED)

    response = await life.cgj.post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "return_requested"
