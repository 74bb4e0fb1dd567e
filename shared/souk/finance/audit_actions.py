"""Finance: the actions it records in the audit log (``audit.record``/``audit.build_record``).

Found by convention (:mod:`souk.registry`) by :func:`souk.audit.service.declared_actions`; a test
checks that every action the code records is declared by its domain.
"""

from __future__ import annotations

AUDIT_ACTIONS = frozenset(
    {
        "clawback.abandoned",
        "clawback.opened",
        "clawback.refused",
        "clawback.reversed",
        "commission.release",
        "dispute.fee_booked",
        "dispute.held",
        "dispute.lost",
        "dispute.updated",
        "dispute.won",
        "payout.approved",
        "payout.failed",
        "payout.paid",
        "payout.processing",
        "payout.rejected",
        "payout.requested",
        "payout.reversed",
        "payout_account.bank_payout_failed",
        "payout_account.created",
        "payout_account.status_changed",
    }
)
