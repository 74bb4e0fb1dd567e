"""Audit records in the single table.

Access patterns (see docs/access-patterns.md):
- by time: pk ``AUDIT#<day>``, sk ``<iso ts>#<id>``
- by actor: gsi1 ``AUDIT_ACTOR#<actorId>`` / ``<iso ts>#<id>``
- by resource: gsi2 ``AUDIT_RES#<type>#<id>`` / ``<iso ts>#<id>``
- by action: gsi3 ``AUDIT_ACTION#<action>`` / ``<iso ts>#<id>``
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from souk.db.base import SoukItem


class AuditRecord(SoukItem, discriminator="AuditRecord"):
    audit_id = UnicodeAttribute(attr_name="auditId")
    actor_id = UnicodeAttribute(attr_name="actorId")
    actor_role = UnicodeAttribute(attr_name="actorRole", null=True)
    action = UnicodeAttribute()
    resource_type = UnicodeAttribute(attr_name="resourceType")
    resource_id = UnicodeAttribute(attr_name="resourceId")
    ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(attr_name="userAgent", null=True)
    request_id = UnicodeAttribute(attr_name="requestId", null=True)
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)

    def on_committed(self) -> None:
        """Count the record in its day's counters once written (called by ``WriteTransaction`` after commit,
        whichever domain put the record in its transaction, and by :func:`souk.audit.store.write`)."""
        from souk.audit import counters  # cold start: loaded when a record is written, not by every reader

        # the sort key starts with the record's UTC time: its first 10 characters are its day
        counters.bump(audit_id=self.audit_id, day=self.sk[:10], action=self.action, actor_id=self.actor_id)
