"""The daily finance job (functions/finance/finance_daily, EventBridge ``rate(1 day)``).

1. **Release** (:func:`souk.finance.service.commissions.release_due`): every commission
   whose ``availableAt`` (delivery + ``funds.holdDays``) has passed moves its remaining net
   from ``pending`` to ``available``, once (entry ``RELEASE#<orderId>`` and the
   commission's version condition), found through the release index day by day from the
   job's cursor.
2. **Payouts** (:func:`reconcile_processing_payouts`): payouts left ``processing`` are
   reconciled with Stripe (the payouts module's own rules).
3. **Claw-backs** (:func:`souk.finance.service.clawbacks.recover_negative_stores`): every
   store left with a negative ``available`` (the negative index, a Query) gets its paid
   transfers reversed for it, the transfers Stripe refused before included; a store whose
   account still cannot cover it stays negative and in the index for the next run.

EventBridge may deliver a schedule twice or late: both steps are idempotent, and the job
stops starting new work when ``exhausted()`` says the Lambda is nearly out of time (what is
left waits for the next run: the cursor only moves past finished days).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from souk.finance.service import clawbacks, commissions
from souk.finance.service import payouts as payout_service
from souk.observability import logger, metrics


def reconcile_processing_payouts(now: datetime, exhausted: Callable[[], bool]) -> dict[str, Any]:
    """The payouts' step: payouts left ``processing`` are looked up at Stripe by their ``transfer_group``
    (never sent again blindly) and lost approved ones queued again
    (:func:`souk.finance.service.payouts.reconcile_processing_payouts`); its counts, and the payouts it could
    not resolve."""
    found = payout_service.reconcile_processing_payouts(now)
    return {"resolved": len(found.resolved), "unresolved": len(found.unresolved), "requeued": len(found.requeued),
            "unresolvedPayouts": dict(found.unresolved)}  # fmt: skip


def run(exhausted: Callable[[], bool] = lambda: False, *, now: datetime | None = None) -> dict[str, Any]:
    """One daily run up to ``now`` (default: the current time; tests pass a later one)."""
    now = now or datetime.now(UTC)
    release = commissions.release_due(now, exhausted=exhausted)
    metrics.add_metric(name="CommissionsReleased", unit=MetricUnit.Count, value=release.released)
    payouts = reconcile_processing_payouts(now, exhausted) if not exhausted() else {}
    recovered = clawbacks.recover_negative_stores(now, exhausted) if not exhausted() else {}
    report = {"release": release.as_dict(), "payouts": payouts, "clawbacks": recovered}
    logger.info("finance daily finished" if release.complete else "finance daily stopped early; the next run goes on",
                extra={"finance_daily": report})  # fmt: skip
    return report
