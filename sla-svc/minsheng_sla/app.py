"""SLA's application: the API plus its runtime (store, outbox relay, the consumers of
work orders, notices and appeals, and the deadline watcher)."""

from __future__ import annotations

from fastapi import FastAPI

from minsheng_common import web, working_calendar
from minsheng_common.events import topics
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.runtime import ConsumerSpec, ServiceRuntime
from minsheng_sla import (
    calendar_live,
    calendar_routes,
    calendar_watch,
    consumers,
    metrics,
    routes,
    watcher,
)
from minsheng_sla.service import SlaContext
from minsheng_sla.settings import SlaSettings

MIGRATIONS = "minsheng_sla:migrations"


def create_app(settings: SlaSettings | None = None) -> FastAPI:
    settings = settings or SlaSettings()
    reference = load_reference(settings.reference_file)
    calendar = working_calendar.default_calendar(reference.hours())
    rules = load_rule_book(settings.rules_file)
    # Every clock counts on this calendar; stored versions update it in place.
    live_calendar = calendar_live.LiveCalendar(calendar=calendar, rules=rules)

    runtime = ServiceRuntime(
        settings=settings,
        script_location=MIGRATIONS,
        background=[watcher.watch_deadlines, *calendar_watch.loops(live_calendar)],
    )
    metrics.install(runtime)
    context = SlaContext(
        calendar=calendar, rules=rules, outbox=runtime.outbox, clock=runtime.clock
    )
    runtime.add_consumer(
        ConsumerSpec(
            name="work-orders",
            topics=[topics.WORK_ORDERS],
            handlers=consumers.WorkOrderEvents(context).handlers(),
        )
    )
    runtime.add_consumer(
        ConsumerSpec(
            name="notices",
            topics=[topics.NOTICES],
            handlers=consumers.NoticeEvents(context).handlers(),
        )
    )
    runtime.add_consumer(
        ConsumerSpec(
            name="appeals",
            topics=[topics.APPEALS],
            handlers=consumers.AppealEvents(context).handlers(),
        )
    )

    app = web.create_app(
        title="Minsheng sla",
        description="The working calendar and the clocks on every work order: "
        "sign-off within 2 working hours (Art. 13), handling by type (Art. 15) "
        "and its extensions (Art. 16), acceptance notice after signing (Art. 28), "
        "handling notice after handling (Art. 29), the check of a staged closure "
        "(Art. 17) and the optional reply templates after a unit's third closure of "
        "a kind (Art. 43), as the rules edition in force sets them.",
        runtime=runtime,
        routers=[routes.router, calendar_routes.router],
        on_start=calendar_watch.on_start(live_calendar),
    )
    app.state.context = context
    app.state.calendar = live_calendar
    return app
