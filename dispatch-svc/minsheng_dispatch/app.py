"""Dispatch's application: the API plus its runtime (store, outbox relay, the
consumer of appeals and deadlines)."""

from __future__ import annotations

from fastapi import FastAPI

from minsheng_common import web
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.runtime import ServiceRuntime
from minsheng_dispatch import admin, dispatching, idempotency, routes, seeding
from minsheng_dispatch.attachments import routes as attachment_routes
from minsheng_dispatch.attachments.s3_store import S3Store, make_client
from minsheng_dispatch.attachments.store import LocalStore, Store
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.disputes import routes as dispute_routes
from minsheng_dispatch.lifecycle import routes as lifecycle_routes
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.settings import DispatchSettings
from minsheng_dispatch.special import routes as special_routes

MIGRATIONS = "minsheng_dispatch:migrations"


def create_app(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    reference = load_reference(settings.reference_file)
    rule_book = load_rule_book(settings.rules_file)
    if settings.fallback_unit_id not in {unit.id for unit in reference.units}:
        raise ValueError(
            f"fallback unit {settings.fallback_unit_id} is not in the reference data"
        )

    runtime = ServiceRuntime(
        settings=settings,
        script_location=MIGRATIONS,
        background=[idempotency.purge_expired_keys],
    )
    context = DispatchContext(
        rule_book=rule_book,
        outbox=runtime.outbox,
        clock=runtime.clock,
        fallback_unit_id=settings.fallback_unit_id,
        component_categories=frozenset(settings.component_categories),
        component_keywords=tuple(settings.component_keywords),
    )
    for spec in DispatchHandlers(context).specs():
        runtime.add_consumer(spec)

    async def seed_reference(runtime: ServiceRuntime) -> None:
        # Until this has run, a filed appeal waits: its handler finds the routing
        # table empty and the consumer retries (RoutingTableNotReady is retriable).
        await seeding.seed(
            runtime.sessions,
            reference,
            valid_from=seeding.seeded_valid_from(rule_book),
        )

    app = web.create_app(
        title="Minsheng dispatch",
        description="Work orders (工单): each filed appeal routed to its responsible "
        "unit within the dispatch target (分拨, Art. 12), signed by the unit or by "
        "default (签收 / 默认签收, Art. 13) or returned, the unit's acceptance notice "
        "to the citizen (受理告知, Art. 28), progress, extensions (Art. 16), the "
        "handling notice (Art. 29), closure and its review (Art. 17), reopening, "
        "and attachments. Every POST that changes an order accepts an "
        "`Idempotency-Key` header.",
        runtime=runtime,
        routers=[
            admin.router,
            routes.router,
            lifecycle_routes.router,
            attachment_routes.router,
            special_routes.router,
            dispute_routes.router,
        ],
        on_start=seed_reference,
    )
    app.state.context = context
    app.state.dispatch_chosen = dispatching.chosen_dispatch(context)
    app.state.attachment_store = attachment_store(settings)
    app.state.attachment_max_bytes = settings.attachment_max_bytes
    return app


def attachment_store(settings: DispatchSettings) -> Store:
    """The store the settings choose: a local folder, or an S3-compatible bucket
    (its settings are checked complete when they are read)."""
    if settings.attachment_store == "local":
        return LocalStore(settings.data_dir / "attachments")

    endpoint_url = settings.attachment_s3_endpoint_url
    bucket = settings.attachment_s3_bucket
    key_id = settings.attachment_s3_access_key_id
    secret = settings.attachment_s3_secret_access_key
    if endpoint_url is None or bucket is None or key_id is None or secret is None:
        raise ValueError("attachment_store s3 needs its endpoint, bucket and keys")
    client = make_client(
        endpoint_url=endpoint_url,
        region=settings.attachment_s3_region,
        access_key_id=key_id.get_secret_value(),
        secret_access_key=secret.get_secret_value(),
    )
    return S3Store(
        client,
        bucket=bucket,
        prefix=settings.attachment_s3_prefix,
        cache=settings.data_dir / "attachments-cache",
    )
