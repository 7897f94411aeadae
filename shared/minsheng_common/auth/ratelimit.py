"""A request budget per caller, so one misbehaving key cannot starve the others.

Each replica keeps its own buckets: with N replicas behind a balancer a caller gets
up to N times the budget, which still bounds it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from minsheng_common.errors import MinshengError


class RateLimited(MinshengError):
    status_code = 429
    code = "rate_limited"
    retriable = True


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per caller: `per_minute` requests a minute, bursts up to the
    same number."""

    per_minute: int
    max_callers: int = 10_000
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def check(self, caller: str) -> None:
        now = time.monotonic()
        rate = self.per_minute / 60.0
        if len(self._buckets) >= self.max_callers:
            self._forget_idle(now)
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = self._buckets[caller] = _Bucket(float(self.per_minute), now)
        bucket.tokens = min(
            float(self.per_minute), bucket.tokens + (now - bucket.updated) * rate
        )
        bucket.updated = now
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) / rate)
            raise RateLimited(
                f"too many requests; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        bucket.tokens -= 1.0

    def _forget_idle(self, now: float) -> None:
        """Drop callers idle for a minute: their buckets are full again anyway, so
        forgetting them changes nothing but the memory they hold."""
        idle = [name for name, b in self._buckets.items() if now - b.updated >= 60.0]
        for name in idle:
            del self._buckets[name]
        if len(self._buckets) >= self.max_callers:
            # Under a flood of distinct callers, keep the most recent half.
            recent = sorted(self._buckets.items(), key=lambda item: item[1].updated)
            self._buckets = dict(recent[len(recent) // 2 :])
