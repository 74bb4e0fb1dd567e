"""Upload entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Upload | UPLOAD#<id> | UPLOAD#<id> | gsi1 USER#<owner>#UPLOADS / C#<created>#<id> |
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from souk.db.base import SoukItem


class Upload(SoukItem, discriminator="Upload"):
    upload_id = UnicodeAttribute(attr_name="uploadId")
    owner_id = UnicodeAttribute(attr_name="ownerId")
    purpose = UnicodeAttribute()  # avatar | product_image | store_document | attachment
    content_type = UnicodeAttribute(attr_name="contentType")
    size = NumberAttribute()
    filename = UnicodeAttribute()  # display only: never part of the S3 key
    object_key = UnicodeAttribute(attr_name="objectKey")
    status = UnicodeAttribute(default="pending")  # pending | ready | deleted
