"""Hourly (EventBridge): remove or act on what expired (sessions, codes, guest carts, unpaid orders...)."""

from __future__ import annotations

from typing import Any

from souk.jobs import service as cleanup
from souk.jobs.schedule import Budget, scheduled_job

# The domains' expiring declarations (souk.<domain>.expiring) load now, during init, like imports.
cleanup.handlers()


def run(budget: Budget) -> dict[str, Any]:
    return cleanup.run(budget).as_dict()


lambda_handler = scheduled_job(run)
