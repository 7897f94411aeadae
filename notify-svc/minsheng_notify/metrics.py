"""Notify's own figures on `/metrics`: citizens' notices sent and failed for good,
by channel, counted from the notice.sent and notice.failed events once the
transaction that decided them has committed."""

from __future__ import annotations

from minsheng_common.events import EventData, NoticeFailed, NoticeSent
from minsheng_common.runtime import ServiceRuntime


def install(runtime: ServiceRuntime) -> None:
    sent = runtime.metrics.counter(
        "minsheng_notify_notices_sent",
        "Citizens' notices that left for their recipient (notice.sent), by channel "
        "and kind",
        ("channel", "kind"),
    )
    failed = runtime.metrics.counter(
        "minsheng_notify_notices_failed",
        "Citizens' notices that could not be delivered after every retry and "
        "fallback (notice.failed), by channel and reason",
        ("channel", "reason"),
    )

    def count(data: EventData) -> None:
        if isinstance(data, NoticeSent):
            sent.labels(data.channel, data.kind).inc()
        elif isinstance(data, NoticeFailed):
            failed.labels(data.channel, data.reason).inc()

    runtime.outbox.observe(count)
