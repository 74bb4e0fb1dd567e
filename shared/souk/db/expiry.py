"""The expiry index: a sparse gsi4 entry on every item that must be removed soon after it expires.

DynamoDB's TTL deletes expired items only eventually (often hours, up to days later), so
the hourly cleanup job (:mod:`souk.jobs.cleanup`) removes what must go promptly. It finds
those items without a Scan through this index:

| gsi4pk | gsi4sk |
|---|---|
| ``EXPIRES#<yyyy-mm-ddThh>`` (the UTC hour the item expires in) | ``<expiry iso>#<pk>`` |

Code that creates an expiring item spreads :func:`index_keys` into it::

    Session(pk=..., sk=..., valid_until=until, **expiry.index_keys(until, pk))

Overwriting the item with a new expiry moves its index entry; deleting it removes the entry.
Entities using it: Session, OneTimeCode, ResetToken, OAuthState (gsi4 is free on all of them).
Another entity joins by writing these keys and registering a handler in the cleanup job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypedDict

from souk.db import keys

INDEX_NAME = "gsi4"
_HOUR_FORMAT = "%Y-%m-%dT%H"


def hour_bucket(moment: datetime) -> str:
    """The UTC hour of ``moment`` as ``yyyy-mm-ddThh`` (sorts as a string, like the hours)."""
    return moment.astimezone(UTC).strftime(_HOUR_FORMAT)


def bucket_start(bucket: str) -> datetime:
    """The first instant of an hour bucket."""
    return datetime.strptime(bucket, _HOUR_FORMAT).replace(tzinfo=UTC)


def next_bucket(bucket: str) -> str:
    return hour_bucket(bucket_start(bucket) + timedelta(hours=1))


def stamp(moment: datetime) -> str:
    """Fixed-width UTC ISO-8601 (microseconds, ``Z``), so stamps compare correctly as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class IndexKeys(TypedDict):
    gsi4pk: str
    gsi4sk: str


def index_keys(expires_at: datetime, pk: str) -> IndexKeys:
    """The gsi4 keys that put an item in the expiry index.

    Parameters
    ----------
    expires_at
        When the item stops being usable (its ``valid_until``), timezone-aware.
    pk
        The item's partition key, to keep entries with the same instant apart and readable.

    Returns
    -------
    dict
        ``{"gsi4pk": ..., "gsi4sk": ...}``, to spread into the model's constructor.
    """
    return {
        "gsi4pk": keys.expiry_bucket(hour_bucket(expires_at)),
        "gsi4sk": keys.expiry_sort(stamp(expires_at), pk),
    }
