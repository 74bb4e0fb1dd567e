"""Teams: the actions it records in the audit log (``audit.record``/``audit.build_record``).

Found by convention (:mod:`souk.registry`) by :func:`souk.audit.service.declared_actions`; a test
checks that every action the code records is declared by its domain.
"""

from __future__ import annotations

AUDIT_ACTIONS = frozenset({
    "team.create", "team.update", "team.delete",
    "team.member_add", "team.member_role", "team.member_remove",
    "team.invite", "team.invite_accept", "team.invite_revoke",
})  # fmt: skip
