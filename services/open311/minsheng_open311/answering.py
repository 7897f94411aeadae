"""Answers for citizens who filed through Open311: each becomes a step of their
request's update feed (`servicerequestupdates`), the way a 311 client hears from
the district, keeping the request's current state.

GeoReport v2 has no private messages: anyone may read a request's updates, so the
answer's text is masked (phone numbers, identity numbers, email addresses) before
it is kept as the step's notes. The step's event id is the notice id, so an answer
carried twice (a crash before the carrier recorded it) is one step.
"""

from __future__ import annotations

import logging

from minsheng_common import redaction
from minsheng_common.adapters.answers import Answer, AnswerRefused
from minsheng_common.runtime import ServiceRuntime
from minsheng_open311 import repository
from minsheng_open311.models import ProgressUpdate

log = logging.getLogger(__name__)

EVENT_PREFIX = "notice:"
FIRST_STATE = "open"


class UpdateCourier:
    """Carries answers onto the requests' update feed of this server's store."""

    def __init__(self, runtime: ServiceRuntime, *, channel: str) -> None:
        self.channel = channel
        self._runtime = runtime

    async def carry(self, answer: Answer) -> str:
        """Add the answer as a step of its appeal's request; the step's update id."""
        if answer.appeal_id is None:
            raise AnswerRefused("an Open311 update needs the appeal it answers")
        event_id = f"{EVENT_PREFIX}{answer.notice_id}"[:64]

        async with self._runtime.sessions() as session:
            request = await repository.by_appeal_id(session, answer.appeal_id)
            if request is None:
                raise AnswerRefused(
                    f"no request here was filed as appeal {answer.appeal_id}"
                )
            steps = await repository.updates_of(session, [answer.appeal_id])
            earlier = next((s for s in steps if s.event_id == event_id), None)
            if earlier is not None:
                return f"update:{earlier.id}"

            now = self._runtime.clock.now()
            step = ProgressUpdate(
                event_id=event_id,
                appeal_id=answer.appeal_id,
                state=steps[-1].state if steps else FIRST_STATE,
                notes=redaction.redact(answer.text),
                occurred_at=now,
                recorded_at=now,
            )
            await repository.add_update(session, step)
            await session.commit()

        log.info(
            "answer %s for appeal %s is update %d of request %s",
            answer.notice_id,
            answer.appeal_id,
            step.id,
            request.tracking_code,
        )
        return f"update:{step.id}"


def couriers(runtime: ServiceRuntime, *, channel: str) -> dict[str, UpdateCourier]:
    """The server's one courier, for its channel."""
    return {channel: UpdateCourier(runtime, channel=channel)}
