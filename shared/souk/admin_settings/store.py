"""Reading and writing the settings item: one GetItem, one conditional transaction."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from souk.admin_settings.models import PK, SK, AdminSettingsItem
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict


def load() -> AdminSettingsItem | None:
    try:
        return AdminSettingsItem.get(PK, SK, consistent_read=True)
    except DoesNotExist:
        return None


def save(sections: dict[str, Any], *, read_version: int, audit: Any) -> AdminSettingsItem:
    """Write version ``read_version + 1``, only if the stored version is still ``read_version``.

    ``audit(tx)`` adds the audit record to the same transaction. A concurrent change makes
    this a 409: last-writer-wins would silently drop another admin's edit.
    """
    item = AdminSettingsItem(pk=PK, sk=SK, doc_version=read_version + 1, sections=sections)
    condition: Condition = (
        AdminSettingsItem.pk.does_not_exist() if read_version == 0 else AdminSettingsItem.doc_version == read_version
    )
    try:
        with WriteTransaction() as tx:
            tx.put(item, condition, label="settings")
            audit(tx)
    except TransactionCancelled as cancelled:
        if "settings" in cancelled.failed():
            raise Conflict("The settings changed since you read them: read them again.") from cancelled
        raise
    return item
