"""Intake's application: the API plus its runtime (store, outbox relay, the consumers
of work-order events and of warnings, the retention loop, and warming up jieba and
the category suggester at start)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI

from minsheng_common import pii, web
from minsheng_common.reference import load_reference
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.working_calendar import default_calendar
from minsheng_intake import consumers, retention, routes, routes_filing, rule_params
from minsheng_intake.classification import routes as classification_routes
from minsheng_intake.classification import suggester
from minsheng_intake.context import IntakeContext
from minsheng_intake.intake_rules import load_intake_rules
from minsheng_intake.knowledge import routes as knowledge_routes
from minsheng_intake.knowledge import search as knowledge_search
from minsheng_intake.knowledge import template_routes
from minsheng_intake.places import Gazetteer
from minsheng_intake.settings import IntakeSettings
from minsheng_intake.status import WrongTries

MIGRATIONS = "minsheng_intake:migrations"


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    settings.ensure_pii_keys(settings.environment, settings.data_dir)
    vault = pii.PiiVault(settings.pii_key_list())
    reference = load_reference(settings.reference_file)
    # Read before anything starts: a broken rules file stops the service here.
    rules = load_intake_rules(settings.rules_file)
    runtime = ServiceRuntime(
        settings=settings,
        script_location=MIGRATIONS,
        background=[
            retention.loop(
                vault=vault, retention=timedelta(days=settings.pii_retention_days)
            ),
            # Once, at start: the first appeal need not wait for them.
            warm_up_segmentation,
            suggester.warm_up(reference.categories),
        ],
    )
    app = web.create_app(
        title="Minsheng intake",
        description="The one entry point for citizens' appeals from every channel: "
        "validation, filing (立案) or not filing with the reason (Art. 11).",
        runtime=runtime,
        routers=[
            # The filing routes first: /v1/appeals/search before /v1/appeals/{id}.
            routes_filing.router,
            routes.router,
            # The reply templates first: /v1/knowledge/{entry_id} would take them.
            template_routes.router,
            knowledge_routes.router,
            classification_routes.router,
        ],
    )
    gazetteer = Gazetteer.from_reference(reference)
    context = IntakeContext(
        reference=reference,
        gazetteer=gazetteer,
        vault=vault,
        hash_key=settings.hash_key,
        outbox=runtime.outbox,
        clock=runtime.clock,
        tracking_prefix=settings.tracking_prefix,
        max_title_chars=settings.max_title_chars,
        max_content_chars=settings.max_content_chars,
        attachment_types=settings.attachment_type_set(),
        rules=rules,
        calendar=default_calendar(reference.hours()),
        place_names=(*gazetteer.subdistricts, *gazetteer.communities),
    )
    app.state.context = context
    # The handlers stage events through the context's outbox: built after it.
    for spec in consumers.specs(context):
        runtime.add_consumer(spec)
    # The knowledge base's parameters of the edition in force at a moment.
    app.state.knowledge_params = lambda at: rule_params.of(rules.in_force(at)).knowledge
    app.state.status_wrong_tries = WrongTries()
    return app


async def warm_up_segmentation(_runtime: ServiceRuntime) -> None:
    """Load jieba's dictionary and the knowledge base's term weights at start, off
    the event loop."""
    await asyncio.to_thread(knowledge_search.warm_up)
