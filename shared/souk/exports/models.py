"""The export job in the single table (keys from :mod:`souk.exports.keys`).

| entity | pk | sk | GSIs |
|---|---|---|---|
| ExportJob | EXPORT#<id> | EXPORT | gsi1 USER_EXPORTS#<ownerId> / <createdAt>#<id> |

The job carries the worker's state between invocations: the data cursor at the end of the last
uploaded part, the multipart upload id and the parts' ETags. ``parts`` only grows; each save is
conditional on the number of parts read (:func:`souk.exports.store.exports.save_part`).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem


class ExportJob(SoukItem, discriminator="ExportJob"):
    export_id = UnicodeAttribute(attr_name="exportId")
    owner_id = UnicodeAttribute(attr_name="ownerId")
    owner_role = UnicodeAttribute(attr_name="ownerRole")  # admin | store_owner, as when it was asked
    type = UnicodeAttribute()  # orders | users | products | audit_logs
    format = UnicodeAttribute()  # csv | json (JSON Lines)
    filters = JSONAttribute(default=dict)
    status = UnicodeAttribute(default="queued")  # queued | running | completed | failed
    progress = NumberAttribute(default=0)
    row_count = NumberAttribute(attr_name="rowCount", default=0)
    pages = NumberAttribute(default=0)  # data pages read into uploaded parts
    cursor = UnicodeAttribute(null=True)  # where the next part's rows start; None: from the beginning (or drained)
    drained = BooleanAttribute(default=False)  # the last part is uploaded: only the upload's completion is left
    upload_id = UnicodeAttribute(attr_name="uploadId", null=True)
    parts = JSONAttribute(default=list)  # [{"PartNumber": n, "ETag": "..."}]
    object_key = UnicodeAttribute(attr_name="objectKey")
    error = UnicodeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(attr_name="completedAt", null=True)
