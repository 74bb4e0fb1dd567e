"""Dispatch: the actions it records in the audit log (``audit.record``/``audit.build_record``).

Found by convention (:mod:`souk.registry`) by :func:`souk.audit.service.declared_actions`; a test
checks that every action the code records is declared by its domain.
"""

from __future__ import annotations

AUDIT_ACTIONS = frozenset(
    {
        "delivery.accept",
        "delivery.cancel",
        "delivery.decline",
        "delivery.deliver",  # the courier, with the proof photo, near the drop-off
        "delivery.fail",  # the courier, with a reason: the order goes back to the store
        "delivery.pick_up",
    }
)
