"""The one way to build a scheduled job's Lambda, like ``souk.workers`` is for queue consumers.

A job is a plain function taking a :class:`Budget` and returning a JSON-able report::

    lambda_handler = scheduled_job(run)

EventBridge may deliver a schedule twice or late, so every job must be idempotent and
must stop before the Lambda timeout, leaving the rest to its next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from souk import coldstart
from souk.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@dataclass(frozen=True)
class Budget:
    """How long a job may keep starting new work: it stops with ``reserve_seconds`` to spare."""

    deadline: float  # time.monotonic() value
    reserve_seconds: float = 15.0

    @classmethod
    def unlimited(cls) -> Budget:
        return cls(deadline=float("inf"), reserve_seconds=0.0)

    @classmethod
    def of(cls, context: Any, reserve_seconds: float = 15.0) -> Budget:
        remaining_ms = context.get_remaining_time_in_millis() if context is not None else None
        if remaining_ms is None:
            return cls.unlimited()
        return cls(deadline=time.monotonic() + remaining_ms / 1000, reserve_seconds=reserve_seconds)

    def exhausted(self) -> bool:
        return time.monotonic() >= self.deadline - self.reserve_seconds


def scheduled_job(run: Callable[[Budget], dict[str, Any]]) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler for a scheduled job, with logging and metrics applied."""

    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return run(Budget.of(context))

    coldstart.init_done()  # the function's imports are done: resume garbage collection
    return lambda_handler
