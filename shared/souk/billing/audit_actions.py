"""Billing: the actions it records in the audit log (``audit.record``/``audit.build_record``).

Found by convention (:mod:`souk.registry`) by :func:`souk.audit.service.declared_actions`; a test
checks that every action the code records is declared by its domain.
"""

from __future__ import annotations

AUDIT_ACTIONS = frozenset({
    "billing.customer_create",
    "subscription.start", "subscription.update", "subscription.state", "subscription.erase_cancel",
    "invoice.recorded",
})  # fmt: skip
