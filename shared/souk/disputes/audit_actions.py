"""Disputes and returns: the actions they record in the audit log (``audit.record``/``audit.build_record``).

Found by convention (:mod:`souk.registry`) by :func:`souk.audit.service.declared_actions`; a test
checks that every action the code records is declared by its domain.
"""

from __future__ import annotations

AUDIT_ACTIONS = frozenset({"dispute.open", "dispute.message", "dispute.resolve", "return.request", "return.status"})
