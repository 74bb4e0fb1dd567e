"""Writing audit records, inside the mutation's own transaction where there is one.

Each domain declares the actions it records in ``souk/<domain>/audit_actions.py`` (a
frozenset ``AUDIT_ACTIONS`` of names); :func:`declared_actions` gathers them by convention
(:mod:`souk.registry`), and a test checks that every ``record``/``build_record`` call in the
layer names a declared action, so the log's vocabulary is known before a record is written.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from souk import registry
from souk.audit import store
from souk.audit.models import AuditRecord
from souk.caller import Actor
from souk.db.transactions import WriteTransaction

__all__ = ["SYSTEM", "Actor", "build_record", "declared_actions", "record"]

# Fields never copied into before/after snapshots.
_REDACTED = frozenset({"password", "passwordHash", "password_hash", "secret", "totpSecret", "codeHash", "tokenHash"})


# Schedules and workers.
SYSTEM = Actor(user_id="system", role="system")


def redact(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """The snapshot with secrets replaced by ``[redacted]``."""
    if snapshot is None:
        return None
    return {k: ("[redacted]" if k in _REDACTED else v) for k, v in snapshot.items()}


def build_record(
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """An audit record ready to save (not saved)."""
    return store.new_record(actor, action, resource_type, resource_id, before=redact(before), after=redact(after))


def record(actor: Actor, action: str, resource_type: str, resource_id: str, *,
           tx: WriteTransaction | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditRecord:  # fmt: skip
    """Record a mutation: added to ``tx`` when given (atomic with it), else saved now."""
    item = build_record(actor, action, resource_type, resource_id, before=before, after=after)
    store.write(item, tx)
    return item


@cache
def declared_actions() -> dict[str, frozenset[str]]:
    """Each declaring domain's actions, by module (``souk.<domain>.audit_actions``), imported at run time."""
    return {module.__name__: frozenset(module.AUDIT_ACTIONS) for module in registry.declaring("audit_actions")}
