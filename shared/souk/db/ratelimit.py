"""Fixed-window rate limits counted in DynamoDB (Lambdas share no memory).

One UpdateItem per hit: ``ADD hits 1`` returns the new count; the window item expires
through TTL. State is exposed as the contract's ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import DoesNotExist

from souk.db import keys
from souk.db.base import SoukItem
from souk.errors import RateLimitExceeded


def clock() -> float:
    """Now, in epoch seconds (tests hold it still, so a burst never straddles two windows)."""
    return time.time()


class RateWindow(SoukItem, discriminator="RateWindow"):
    hits = NumberAttribute(default=0)


@dataclass(frozen=True)
class RateState:
    limit: int
    count: int
    reset_epoch: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch),
        }

    def error(self, now: float | None = None) -> RateLimitExceeded:
        retry_after = max(1, self.reset_epoch - int(now if now is not None else clock()))
        return RateLimitExceeded(retry_after, limit=self.limit, reset_epoch=self.reset_epoch)


@dataclass(frozen=True)
class RateLimit:
    """``limit`` hits per ``window_seconds`` for one scope (e.g. ``login-failures``)."""

    scope: str
    limit: int
    window_seconds: int

    def _window(self, now: float) -> tuple[str, int]:
        start = int(now) // self.window_seconds * self.window_seconds
        return f"W#{start}", start + self.window_seconds

    def hit(self, subject: str, *, now: float | None = None) -> RateState:
        """Count one hit; the caller raises ``state.error()`` when ``state.exceeded``."""
        now = clock() if now is None else now
        sk, reset = self._window(now)
        window = RateWindow(pk=keys.rate_window(self.scope, subject), sk=sk)
        # One call: ADD returns the new count. The item outlives its window by a minute.
        expires = datetime.fromtimestamp(reset + 60, UTC)
        window.update(actions=[RateWindow.hits.add(1), RateWindow.expires_at.set(expires),
                               RateWindow.entity.set(RateWindow)])  # fmt: skip
        return RateState(self.limit, int(window.hits), reset)

    def peek(self, subject: str, *, now: float | None = None) -> RateState:
        """The current count without adding to it (one GetItem)."""
        now = clock() if now is None else now
        sk, reset = self._window(now)
        try:
            hits = int(RateWindow.get(keys.rate_window(self.scope, subject), sk).hits)
        except DoesNotExist:
            hits = 0
        return RateState(self.limit, hits, reset)

    def enforce(self, subject: str, *, now: float | None = None) -> RateState:
        """Count one hit and raise 429 RATE_LIMIT_EXCEEDED past the limit."""
        state = self.hit(subject, now=now)
        if state.exceeded:
            raise state.error(now)
        return state
