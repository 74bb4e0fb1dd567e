"""Delivery: the actions it records in the audit log (found by :mod:`souk.registry`)."""

from __future__ import annotations

AUDIT_ACTIONS = frozenset(
    {
        "delivery_zone.create",
        "courier_verification.submit",  # a courier sends (or replaces) their documents
        "courier_verification.decide",  # an admin approves or rejects them
        "courier_verification.grant",  # an approval without review: the demo seed, test factories
    }
)
