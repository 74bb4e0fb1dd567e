"""Audit: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.audit.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def audit_day(day: str) -> str:
    return join("AUDIT", day)


def audit_actor(actor_id: str) -> str:
    return join("AUDIT_ACTOR", actor_id)


def audit_resource(resource_type: str, resource_id: str) -> str:
    return join("AUDIT_RES", resource_type, resource_id)


def audit_action(action: str) -> str:
    return join("AUDIT_ACTION", action)


def audit_stats(day: str) -> str:
    return join("AUDIT_STATS", day)
