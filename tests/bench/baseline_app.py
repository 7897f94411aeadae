"""The benchmark's baseline: a bare FastAPI app inserting one row per request."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from fastapi import FastAPI, Request

URL = os.environ["BENCH_DATABASE_URL"]
POOL: list[asyncpg.Pool] = []


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(URL, min_size=5, max_size=20)
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS rows (id serial primary key, body jsonb)"
    )
    POOL.append(pool)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/rows", status_code=201)
async def insert(request: Request) -> dict[str, int]:
    body = await request.json()
    row_id = await POOL[0].fetchval(
        "INSERT INTO rows (body) VALUES ($1) RETURNING id", json.dumps(body)
    )
    return {"id": row_id}


if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), log_level="warning"
    )
