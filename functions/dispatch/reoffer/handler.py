"""Every minute (EventBridge): offers that expired go to the next courier, waiting deliveries are offered again."""

from __future__ import annotations

from typing import Any

from souk.dispatch.service import offers
from souk.jobs.schedule import Budget, scheduled_job


def run(budget: Budget) -> dict[str, Any]:
    return offers.run_due(budget.exhausted)


lambda_handler = scheduled_job(run)
