"""The AI + video adapter's own errors: a detection it does not take, and a snapshot
it cannot fetch or keep. What intake answers is every adapter's
(`minsheng_common.adapters.errors`)."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, MinshengError, NotFound


class InvalidDetection(InvalidInput):
    """A correctly signed push whose body is not a detection."""

    code = "invalid_detection"


class SnapshotUnavailable(MinshengError):
    """The snapshot's server did not give it (down, timed out, not 200): nothing is
    stored, and the platform may push the detection again."""

    status_code = 502
    code = "snapshot_unavailable"
    retriable = True


class SnapshotHostNotAllowed(InvalidInput):
    """The snapshot is on a host this adapter does not fetch from
    (AIVIDEO_SNAPSHOT_HOSTS)."""

    code = "snapshot_host_not_allowed"


class SnapshotNotAnImage(InvalidInput):
    """What the snapshot URL gave is not a JPEG, PNG or WebP picture."""

    code = "snapshot_not_an_image"


class SnapshotTooLarge(InvalidInput):
    """The snapshot is larger than AIVIDEO_SNAPSHOT_MAX_BYTES."""

    code = "snapshot_too_large"


class SnapshotNotFound(NotFound):
    """No snapshot of that name is kept here."""
