"""The command line every service shares: `serve`, `migrate`, `republish`,
`redrive`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

import uvicorn
from fastapi import FastAPI

from minsheng_common import migrations
from minsheng_common.bus.kafka import BrokerUnavailable
from minsheng_common.bus.outbox import mark_for_republish
from minsheng_common.bus.redrive import RedriveReport, redrive
from minsheng_common.db import make_engine, make_sessions
from minsheng_common.logs import configure_logging
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.settings import ServiceSettings
from minsheng_common.timeutil import as_utc


def run(
    *,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[ServiceSettings], FastAPI],
    script_location: str,
    argv: Sequence[str] | None = None,
) -> None:
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=f"minsheng-{settings.service_name}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="migrate the store and serve the API")
    commands.add_parser("migrate", help="upgrade the store to the newest revision")
    republish = commands.add_parser(
        "republish", help="publish retained outbox events again from a point in time"
    )
    republish.add_argument(
        "--since",
        required=True,
        type=datetime.fromisoformat,
        help="ISO time; a time without offset is read as Asia/Shanghai",
    )
    redrive_parser = commands.add_parser(
        "redrive",
        help="give the messages this service's consumers dead-lettered back to them",
    )
    redrive_parser.add_argument(
        "--topic",
        action="append",
        help="only this topic's dead letters (e.g. appeals); repeatable",
    )
    redrive_parser.add_argument(
        "--dry-run", action="store_true", help="list them and change nothing"
    )
    arguments = parser.parse_args(argv)

    configure_logging(
        service=settings.service_name,
        level=settings.log_level,
        as_json=settings.log_json,
    )
    url = settings.store_url()
    if arguments.command == "migrate":
        migrations.upgrade(script_location, url)
    elif arguments.command == "redrive":
        app = app_factory(settings)
        try:
            report = asyncio.run(
                _redrive(app, topics=arguments.topic, dry_run=arguments.dry_run)
            )
        except BrokerUnavailable as error:
            parser.exit(1, f"nothing re-driven: {error.message}\n")
        for letter in report.redriven:
            print(
                f"{letter.topic}[{letter.partition}]@{letter.offset} "
                f"{letter.event_type} {letter.reason} -> {letter.consumer}"
            )
        print(report.summary(dry_run=arguments.dry_run))
    elif arguments.command == "republish":
        count = asyncio.run(_republish(url, as_utc(arguments.since)))
        print(
            f"{count} events marked for publishing again; the running relay sends them"
        )
    else:
        app = app_factory(settings)
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)


async def _republish(url: str, since: datetime) -> int:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            count = await mark_for_republish(session, since=since)
            await session.commit()
    finally:
        await engine.dispose()
    return count


async def _redrive(
    app: FastAPI, *, topics: Sequence[str] | None, dry_run: bool
) -> RedriveReport:
    """Prepare the service as a replica would at start (its `on_start`, not its
    loops), then re-drive its dead letters; what the handlers stage waits in the
    outbox for the running replicas' relay."""
    runtime: ServiceRuntime = app.state.runtime
    prepare = getattr(app.state, "prepare", None)
    try:
        if prepare is not None and not dry_run:
            await prepare(runtime)
        await runtime.publisher.start()
        return await redrive(
            bootstrap_servers=runtime.settings.kafka_bootstrap_servers,
            consumers=runtime.event_consumers,
            group_id=f"{runtime.settings.topic_prefix}{runtime.name}.redrive",
            topics=[runtime.topics.name(t) for t in topics] if topics else None,
            dry_run=dry_run,
        )
    finally:
        await runtime.publisher.stop()
        await runtime.engine.dispose()
