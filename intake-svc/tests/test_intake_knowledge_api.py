"""The knowledge base's API (Art. 43): keeping entries with their history, searching
them in Chinese at a moment, who may do what, and bad input refused with the field
and a code. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]


def sanitation_entry(**overrides: Any) -> dict[str, Any]:
    """An entry of the city management bureau (cgj), as its clerk writes it."""
    body: dict[str, Any] = {
        "category_id": "city-sanitation",
        "question": "垃圾分类投放时间是什么时候？",
        "answer": "居民小区实行定时定点投放，每天早上7:00–9:00、晚上18:00–21:00。",
        "keywords": ["垃圾分类", "投放时间"],
    }
    body.update(overrides)
    return body


SAMPLES: list[dict[str, Any]] = [
    {
        "unit_id": "gafj",
        "category_id": "public-order",
        "question": "如何办理居住证？",
        "answer": "在坪山居住满半年的，可携带身份证、租赁合同到居住地社区工作站申领"
        "居住证。",
        "keywords": ["居住证", "办理", "材料"],
    },
    {
        "unit_id": "jyj",
        "category_id": "education",
        "question": "积分入学需要哪些条件？",
        "answer": "非深户籍子女申请积分入学，须父母一方持有效居住证并连续缴纳社保满"
        "一年。",
        "keywords": ["积分入学", "学位申请"],
    },
    {
        "unit_id": "rlzyj",
        "category_id": "labour-social-security",
        "question": "社保卡丢了怎么补办？",
        "answer": "可在区人力资源局窗口或“深圳社保”小程序挂失并补办，工本费免收。",
        "keywords": ["社保卡", "补办", "挂失"],
    },
]


async def create(client_for: ClientFor, caller: str, body: dict[str, Any]) -> Any:
    async with client_for(caller) as http:
        answer = await http.post("/v1/knowledge", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def seed(client_for: ClientFor) -> dict[str, str]:
    """The sample entries, created by a supervisor; their ids by unit."""
    return {
        sample["unit_id"]: (await create(client_for, "supervisor", sample))["id"]
        for sample in SAMPLES
    }


# --- keeping entries -------------------------------------------------------------


async def test_a_unit_creates_an_entry_for_itself_as_version_one(
    client_for: ClientFor,
) -> None:
    entry = await create(
        client_for,
        "cgj",
        sanitation_entry(question="  垃圾分类投放时间\u3000是什么时候？ ", keywords=[]),
    )

    assert entry["unit_id"] == "cgj"
    assert entry["question"] == "垃圾分类投放时间 是什么时候？"
    assert entry["version"] == 1
    assert entry["retired_at"] is None
    assert entry["valid_to"] is None
    assert entry["created_by"].endswith("@cgj")
    async with client_for("cgj") as http:
        read = await http.get(f"/v1/knowledge/{entry['id']}")
    assert read.json() == entry


async def test_an_update_makes_a_new_version_and_keeps_the_old_one_in_history(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("cgj") as http:
        updated = await http.put(
            f"/v1/knowledge/{entry['id']}",
            json=sanitation_entry(
                answer="自2027年1月起，晚上投放时间延长至22:00。",
                keywords=["垃圾分类", "投放时间", "垃圾分类"],
                version=1,
                note="投放时间调整",
            ),
        )
        history = await http.get(f"/v1/knowledge/{entry['id']}/history")

    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["keywords"] == ["垃圾分类", "投放时间"]
    assert updated.json()["created_at"] == entry["created_at"]
    versions = history.json()["versions"]
    assert [row["version"] for row in versions] == [1, 2]
    assert [row["action"] for row in versions] == ["created", "updated"]
    assert versions[0]["answer"] == entry["answer"]
    assert versions[1]["answer"] == "自2027年1月起，晚上投放时间延长至22:00。"
    assert versions[1]["note"] == "投放时间调整"


async def test_an_update_that_changes_nothing_keeps_the_version(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("cgj") as http:
        again = await http.put(
            f"/v1/knowledge/{entry['id']}",
            json=sanitation_entry(valid_from=entry["valid_from"]),
        )
        history = await http.get(f"/v1/knowledge/{entry['id']}/history")

    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert len(history.json()["versions"]) == 1


async def test_an_update_from_an_old_version_is_refused_and_changes_nothing(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())
    async with client_for("cgj") as http:
        await http.put(
            f"/v1/knowledge/{entry['id']}", json=sanitation_entry(answer="第二版答复。")
        )

        stale = await http.put(
            f"/v1/knowledge/{entry['id']}",
            json=sanitation_entry(answer="基于第一版的修改。", version=1),
        )
        current = await http.get(f"/v1/knowledge/{entry['id']}")

    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert stale.json()["error"]["field"] == "version"
    assert current.json()["answer"] == "第二版答复。"
    assert current.json()["version"] == 2


async def test_a_retired_entry_is_kept_readable_but_not_found_or_changed(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("cgj") as http:
        retired = await http.post(
            f"/v1/knowledge/{entry['id']}/retire", json={"note": "政策已废止"}
        )
        found = await http.get("/v1/knowledge", params={"q": "垃圾分类"})
        read = await http.get(f"/v1/knowledge/{entry['id']}")
        change = await http.put(f"/v1/knowledge/{entry['id']}", json=sanitation_entry())
        again = await http.post(f"/v1/knowledge/{entry['id']}/retire")
        history = await http.get(f"/v1/knowledge/{entry['id']}/history")

    assert retired.status_code == 200
    assert retired.json()["retired_at"] is not None
    assert retired.json()["version"] == 2
    assert found.json()["total"] == 0
    assert read.status_code == 200
    assert read.json()["retired_at"] == retired.json()["retired_at"]
    assert change.status_code == again.status_code == 409
    assert change.json()["error"]["code"] == again.json()["error"]["code"]
    assert change.json()["error"]["code"] == "entry_retired"
    last = history.json()["versions"][-1]
    assert (last["action"], last["note"]) == ("retired", "政策已废止")
    assert len(history.json()["versions"]) == 2


async def test_a_supervisor_keeps_any_units_entries_and_moves_them(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("supervisor") as http:
        moved = await http.put(
            f"/v1/knowledge/{entry['id']}",
            json=sanitation_entry(unit_id="kengzi-jd", note="改由街道答复"),
        )
        retired = await http.post(f"/v1/knowledge/{entry['id']}/retire")

    assert moved.status_code == 200, moved.text
    assert moved.json()["unit_id"] == "kengzi-jd"
    assert retired.status_code == 200


# --- searching -------------------------------------------------------------------


async def test_search_ranks_the_entry_asked_about_first_with_a_chinese_query(
    client_for: ClientFor,
) -> None:
    ids = await seed(client_for)

    async with client_for("operator") as http:
        answer = await http.get(
            "/v1/knowledge", params={"q": "我的社保卡不见了，怎么补办"}
        )

    items = answer.json()["items"]
    assert answer.status_code == 200
    assert items[0]["id"] == ids["rlzyj"]
    assert items[0]["score"] > 0.5
    assert all(item["score"] < items[0]["score"] for item in items[1:])


async def test_search_counts_the_answer_less_than_the_question(
    client_for: ClientFor,
) -> None:
    ids = await seed(client_for)

    async with client_for("cgj") as http:
        answer = await http.get("/v1/knowledge", params={"q": "居住证"})

    items = answer.json()["items"]
    # The school entry mentions 居住证 only in its answer: found, ranked lower.
    assert [item["id"] for item in items] == [ids["gafj"], ids["jyj"]]
    assert items[0]["score"] > items[1]["score"] > 0
    assert answer.json()["total"] == 2


async def test_search_without_words_lists_every_entry_filtered_by_unit_and_category(
    client_for: ClientFor,
) -> None:
    ids = await seed(client_for)

    async with client_for("operator") as http:
        everything = await http.get("/v1/knowledge")
        by_unit = await http.get("/v1/knowledge", params={"unit_id": "jyj"})
        by_category = await http.get(
            "/v1/knowledge", params={"category_id": "public-order"}
        )
        paged = await http.get("/v1/knowledge", params={"limit": 1, "offset": 1})

    assert everything.json()["total"] == 3
    assert {item["score"] for item in everything.json()["items"]} == {None}
    assert [item["id"] for item in by_unit.json()["items"]] == [ids["jyj"]]
    assert [item["id"] for item in by_category.json()["items"]] == [ids["gafj"]]
    assert len(paged.json()["items"]) == 1
    assert paged.json()["total"] == 3


async def test_search_finds_only_entries_that_hold_at_the_moment_asked(
    client_for: ClientFor,
) -> None:
    now = datetime.now(UTC)
    coming = await create(
        client_for,
        "cgj",
        sanitation_entry(
            question="新的垃圾分类投放时间",
            valid_from=(now + timedelta(days=30)).isoformat(),
        ),
    )
    ended = await create(
        client_for,
        "cgj",
        sanitation_entry(
            question="旧的垃圾分类投放时间",
            valid_from=(now - timedelta(days=60)).isoformat(),
            valid_to=(now - timedelta(days=1)).isoformat(),
        ),
    )

    async with client_for("cgj") as http:
        today = await http.get("/v1/knowledge", params={"q": "垃圾分类"})
        next_month = await http.get(
            "/v1/knowledge",
            params={
                "q": "垃圾分类",
                "valid_at": (now + timedelta(days=31)).isoformat(),
            },
        )
        last_month = await http.get(
            "/v1/knowledge",
            params={"valid_at": (now - timedelta(days=30)).isoformat()},
        )

    assert today.json()["total"] == 0
    assert [item["id"] for item in next_month.json()["items"]] == [coming["id"]]
    assert [item["id"] for item in last_month.json()["items"]] == [ended["id"]]


async def test_a_naive_moment_is_read_as_shanghai_time(client_for: ClientFor) -> None:
    entry = await create(
        client_for,
        "cgj",
        sanitation_entry(
            valid_from="2027-01-01T00:00:00", valid_to="2027-02-01T00:00:00+08:00"
        ),
    )

    async with client_for("cgj") as http:
        before = await http.get(
            "/v1/knowledge", params={"valid_at": "2026-12-31T23:59:00"}
        )
        at_start = await http.get(
            "/v1/knowledge", params={"valid_at": "2027-01-01T00:00:00"}
        )

    assert entry["valid_from"].startswith("2026-12-31T16:00:00")
    assert before.json()["total"] == 0
    assert at_start.json()["total"] == 1
    assert at_start.json()["valid_at"].startswith("2026-12-31T16:00:00")


# --- who may do what -------------------------------------------------------------

# Each route of the knowledge base, and who may call it.
KEEP, READ, CENTER = "keep", "read", "center"
ROUTES = {
    ("POST", "/v1/knowledge"): KEEP,
    ("GET", "/v1/knowledge"): READ,
    ("GET", "/v1/knowledge/answer-rate"): CENTER,
    ("GET", "/v1/knowledge/{entry_id}"): READ,
    ("GET", "/v1/knowledge/{entry_id}/history"): READ,
    ("PUT", "/v1/knowledge/{entry_id}"): KEEP,
    ("POST", "/v1/knowledge/{entry_id}/retire"): KEEP,
}
# Callers without the scope of each kind of route.
REFUSED = {
    KEEP: ("operator", "leader", "dashboard", "operations", "hotline"),
    READ: ("leader", "dashboard", "operations", "hotline", "wechat"),
    CENTER: ("cgj", "leader", "dashboard", "operations", "hotline"),
}


def knowledge_routes(app: FastAPI) -> set[tuple[str, str]]:
    # The reply templates' routes have their callers of their own: see
    # test_intake_reply_templates.py.
    return {
        (method, path)
        for method, path in web.guarded_routes(app)
        if path.startswith("/v1/knowledge")
        and not path.startswith("/v1/knowledge/reply-templates")
    }


async def call(
    http: httpx.AsyncClient, method: str, path: str, entry_id: str
) -> httpx.Response:
    """A well-formed request to a route, so that only the caller can be at fault."""
    url = path.replace("{entry_id}", entry_id)
    if url.endswith("/answer-rate"):
        params = {
            "from": "2026-12-01T00:00:00+08:00",
            "to": "2027-01-01T00:00:00+08:00",
        }
        return await http.get(url, params=params)
    if method == "POST" and url.endswith("/retire"):
        return await http.post(url, json={"note": "测试"})
    if method in ("POST", "PUT"):
        return await http.request(method, url, json=sanitation_entry(unit_id="cgj"))
    return await http.request(method, url)


async def test_the_route_table_here_covers_every_knowledge_route(app: FastAPI) -> None:
    assert knowledge_routes(app) == set(ROUTES)


async def test_every_knowledge_route_answers_401_without_credentials(
    app: FastAPI, client_for: ClientFor
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for(None) as anonymous:
        for method, path in knowledge_routes(app):
            answer = await call(anonymous, method, path, entry["id"])
            assert answer.status_code == 401, (method, path)
            assert answer.json()["error"]["code"] == "unauthenticated"


async def test_every_knowledge_route_answers_403_to_callers_without_its_scope(
    app: FastAPI, client_for: ClientFor
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    for (method, path), kind in ROUTES.items():
        for caller in REFUSED[kind]:
            async with client_for(caller) as http:
                answer = await call(http, method, path, entry["id"])
            assert answer.status_code == 403, (caller, method, path)
            assert answer.json()["error"]["code"] == "forbidden"
    async with client_for("cgj") as http:
        assert (await http.get(f"/v1/knowledge/{entry['id']}")).json() == entry


async def test_the_center_reads_every_route_and_a_supervisor_keeps_entries(
    app: FastAPI, client_for: ClientFor
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("operator") as operator:
        for (method, path), kind in ROUTES.items():
            if kind != KEEP:
                answer = await call(operator, method, path, entry["id"])
                assert answer.status_code == 200, (method, path, answer.text)
    async with client_for("supervisor") as supervisor:
        for method, path in ROUTES:
            answer = await call(supervisor, method, path, entry["id"])
            assert answer.status_code in (200, 201), (method, path, answer.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/knowledge/{entry_id}"),
        ("GET", "/v1/knowledge/{entry_id}/history"),
        ("PUT", "/v1/knowledge/{entry_id}"),
        ("POST", "/v1/knowledge/{entry_id}/retire"),
    ],
)
async def test_a_missing_entry_answers_404(
    client_for: ClientFor, method: str, path: str
) -> None:
    async with client_for("supervisor") as http:
        answer = await call(http, method, path, "no-such-entry")

    assert answer.status_code == 404
    assert answer.json()["error"] == {
        "code": "knowledge_entry_not_found",
        "message": "no knowledge entry no-such-entry",
        "field": "entry_id",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/v1/knowledge/{entry_id}"), ("POST", "/v1/knowledge/{entry_id}/retire")],
)
async def test_another_units_entry_answers_a_change_exactly_as_a_missing_one(
    client_for: ClientFor, method: str, path: str
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("jtj") as http:
        other = await call(http, method, path, entry["id"])
        missing = await call(http, method, path, "no-such-entry")
        unchanged = await http.get(f"/v1/knowledge/{entry['id']}")

    assert other.status_code == missing.status_code == 404
    assert other.json()["error"] == {
        "code": "knowledge_entry_not_found",
        "message": f"no knowledge entry {entry['id']}",
        "field": "entry_id",
    }
    assert unchanged.json() == entry


async def test_a_unit_reads_and_searches_every_units_entries(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("jtj") as http:
        read = await http.get(f"/v1/knowledge/{entry['id']}")
        found = await http.get("/v1/knowledge", params={"q": "垃圾投放时间"})

    assert read.status_code == 200
    assert [item["id"] for item in found.json()["items"]] == [entry["id"]]


async def test_a_unit_cannot_create_or_move_entries_in_another_units_name(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("cgj") as http:
        created = await http.post("/v1/knowledge", json=sanitation_entry(unit_id="jtj"))
        moved = await http.put(
            f"/v1/knowledge/{entry['id']}", json=sanitation_entry(unit_id="jtj")
        )
        listed = await http.get("/v1/knowledge")

    for answer in (created, moved):
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "unit_mismatch"
        assert answer.json()["error"]["field"] == "unit_id"
    assert [item["id"] for item in listed.json()["items"]] == [entry["id"]]
    assert listed.json()["items"][0]["version"] == 1


# --- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "changes", "field", "code"),
    [
        ("cgj", {"question": " \u3000\t "}, "question", "empty_text"),
        ("cgj", {"answer": "\n\n"}, "answer", "empty_text"),
        ("cgj", {"question": "问" * 201}, "question", "too_long"),
        ("cgj", {"answer": "答" * 4001}, "answer", "too_long"),
        ("cgj", {"question": "问" * 401}, "body.question", "invalid_request"),
        ("cgj", {"keywords": ["垃圾分类", "词" * 31]}, "keywords.1", "too_long"),
        ("cgj", {"keywords": ["词"] * 21}, "body.keywords", "invalid_request"),
        ("cgj", {"category_id": "no-such-category"}, "category_id", "unknown_category"),
        ("supervisor", {"unit_id": "no-such-unit"}, "unit_id", "unknown_unit"),
        ("supervisor", {}, "unit_id", "unit_required"),
        ("cgj", {"extra": 1}, "body.extra", "invalid_request"),
        (
            "cgj",
            {
                "valid_from": "2027-03-01T00:00:00+08:00",
                "valid_to": "2027-03-01T00:00:00+08:00",
            },
            "valid_to",
            "invalid_validity",
        ),
    ],
)
async def test_bad_input_to_create_answers_422_with_field_and_code_and_stores_nothing(
    client_for: ClientFor,
    caller: str,
    changes: dict[str, Any],
    field: str,
    code: str,
) -> None:
    async with client_for(caller) as http:
        answer = await http.post("/v1/knowledge", json=sanitation_entry(**changes))
        listed = await http.get("/v1/knowledge")

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field
    assert listed.json()["total"] == 0


@pytest.mark.parametrize(
    ("caller", "changes", "field", "code"),
    [
        ("cgj", {"question": ""}, "body.question", "invalid_request"),
        ("cgj", {"answer": "   "}, "answer", "empty_text"),
        (
            "cgj",
            {"valid_to": "2000-01-01T00:00:00+08:00"},
            "valid_to",
            "invalid_validity",
        ),
        ("cgj", {"category_id": "no-such"}, "category_id", "unknown_category"),
        ("supervisor", {"unit_id": "no-such-unit"}, "unit_id", "unknown_unit"),
        ("cgj", {"version": 0}, "body.version", "invalid_request"),
    ],
)
async def test_bad_input_to_update_answers_422_and_changes_nothing(
    client_for: ClientFor,
    caller: str,
    changes: dict[str, Any],
    field: str,
    code: str,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for(caller) as http:
        answer = await http.put(
            f"/v1/knowledge/{entry['id']}", json=sanitation_entry(**changes)
        )
        history = await http.get(f"/v1/knowledge/{entry['id']}/history")

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field
    assert len(history.json()["versions"]) == 1


async def test_bad_input_to_retire_answers_422_and_changes_nothing(
    client_for: ClientFor,
) -> None:
    entry = await create(client_for, "cgj", sanitation_entry())

    async with client_for("cgj") as http:
        answer = await http.post(
            f"/v1/knowledge/{entry['id']}/retire", json={"note": "因" * 201}
        )
        read = await http.get(f"/v1/knowledge/{entry['id']}")

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "body.note"
    assert read.json()["retired_at"] is None


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"q": "请问怎么办？"}, "q", "query_without_terms"),
        ({"category_id": "no-such"}, "category_id", "unknown_category"),
        ({"unit_id": "no-such"}, "unit_id", "unknown_unit"),
        ({"limit": 0}, "query.limit", "invalid_request"),
        ({"valid_at": "yesterday"}, "query.valid_at", "invalid_request"),
    ],
)
async def test_bad_search_answers_422_with_field_and_code(
    client_for: ClientFor, params: dict[str, Any], field: str, code: str
) -> None:
    async with client_for("cgj") as http:
        answer = await http.get("/v1/knowledge", params=params)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"to": "2027-01-01T00:00:00+08:00"}, "query.from", "invalid_request"),
        (
            {"from": "2027-01-01T00:00:00+08:00", "to": "2027-01-01T00:00:00+08:00"},
            "to",
            "invalid_period",
        ),
    ],
)
async def test_a_bad_answer_rate_period_answers_422(
    client_for: ClientFor, params: dict[str, Any], field: str, code: str
) -> None:
    async with client_for("operator") as http:
        answer = await http.get("/v1/knowledge/answer-rate", params=params)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field
