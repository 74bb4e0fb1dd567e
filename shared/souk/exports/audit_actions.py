"""Exports: the actions it records in the audit log; none yet (a job is its own record: who, what, when)."""

from __future__ import annotations

AUDIT_ACTIONS: frozenset[str] = frozenset()
