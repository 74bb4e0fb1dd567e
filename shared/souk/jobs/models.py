"""Items the scheduled jobs keep for themselves.

| entity | pk | sk | GSIs |
|---|---|---|---|
| JobCursor | JOB#<name> | CURSOR | |
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from souk.db.base import SoukItem


class JobCursor(SoukItem, discriminator="JobCursor"):
    """How far a job got: the last expiry-index hour bucket it finished (``yyyy-mm-ddThh``)."""

    last_bucket = UnicodeAttribute(attr_name="lastBucket")
