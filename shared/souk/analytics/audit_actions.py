"""Analytics: the actions it records in the audit log: none (counters and ingested events are not audited).

Found by convention (:mod:`souk.registry`) by :func:`souk.audit.service.declared_actions`.
"""

from __future__ import annotations

AUDIT_ACTIONS: frozenset[str] = frozenset()
