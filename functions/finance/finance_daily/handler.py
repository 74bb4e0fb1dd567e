"""Daily (EventBridge): release the commissions whose hold is over, then the payouts' reconciliation."""

from __future__ import annotations

from typing import Any

from souk.finance.service import daily
from souk.jobs.schedule import Budget, scheduled_job


def run(budget: Budget) -> dict[str, Any]:
    return daily.run(budget.exhausted)


lambda_handler = scheduled_job(run)
