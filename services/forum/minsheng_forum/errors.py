"""The forum adapter's own errors: a sample it cannot read, a replay that collided,
a pushed post it does not take and a polled feed that gave no page. What intake
answers is every adapter's (`minsheng_common.adapters.errors`)."""

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


class FeedUnavailable(Unavailable):
    """A polled forum's feed did not give a page (down, too slow, not 200); the
    poll is tried again later and the cursor stays where it was."""

    code = "feed_unavailable"


class FeedGarbled(FeedUnavailable):
    """A polled forum's feed answered something that is not a feed page (not JSON,
    a field missing or wrong, too large); nothing of it is stored."""

    code = "feed_garbled"
