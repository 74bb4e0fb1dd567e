"""Daily (EventBridge): expire the loyalty points lots past their date and remind about those expiring soon."""

from __future__ import annotations

from typing import Any

from souk.jobs.schedule import Budget, scheduled_job
from souk.points.service import expiry


def run(budget: Budget) -> dict[str, Any]:
    return expiry.run(budget.exhausted)


lambda_handler = scheduled_job(run)
