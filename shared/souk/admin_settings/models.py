"""The admin settings item and its key: one item for the whole platform."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute

from souk.db.base import SoukItem

PK = "SETTINGS#ADMIN"
SK = "DOCUMENT"


class AdminSettingsItem(SoukItem, discriminator="AdminSettings"):
    """The sections as saved (camelCase JSON, validated on read) and the document's version."""

    doc_version = NumberAttribute(attr_name="docVersion")
    sections = JSONAttribute()
