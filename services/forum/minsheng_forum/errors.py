"""The forum adapter's own errors: a sample it cannot read, a replay that collided
and a pushed post it does not take. What intake answers is every adapter's
(`minsheng_common.adapters.errors`)."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, Unavailable


class SampleUnavailable(Unavailable):
    """The forum export to replay cannot be read."""

    code = "sample_unavailable"
    retriable = False


class ReplayConflict(Conflict):
    """Two replays of the same sample ran at once; the later one stored nothing."""

    code = "replay_conflict"


class InvalidPost(InvalidInput):
    """A correctly signed push whose body is not a forum post."""

    code = "invalid_post"


class PostTooLong(InvalidInput):
    """A correctly signed post whose title or detail is longer than intake takes;
    intake would refuse it, so it is not taken on."""

    code = "too_long"
