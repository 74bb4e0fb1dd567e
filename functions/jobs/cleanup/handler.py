"""Hourly (EventBridge): remove expired sessions, one-time codes, reset tokens and OAuth states."""

from __future__ import annotations

from typing import Any

from souk.jobs import cleanup
from souk.jobs.schedule import Budget, scheduled_job


def run(budget: Budget) -> dict[str, Any]:
    return cleanup.run(budget).as_dict()


lambda_handler = scheduled_job(run)
