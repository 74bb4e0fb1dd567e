"""Privacy: the actions it records in the audit log (found by :mod:`souk.registry`)."""

from __future__ import annotations

AUDIT_ACTIONS = frozenset({"account.erasure_requested", "account.erased"})
