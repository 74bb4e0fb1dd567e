"""The erasure job in the single table (keys from :mod:`souk.privacy.keys`).

The job carries the worker's place between invocations: the hook being run (``step``, a domain
name) and that hook's cursor; ``seq`` counts the saves, each conditional on the one read, so two
deliveries of the job's message never both advance it.

``notifyEmail``/``notifyName`` hold where the "your account was deleted" email goes (the user item
is anonymised by the last step); they are removed by the write that completes the job.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem


class ErasureJob(SoukItem, discriminator="ErasureJob"):
    user_id = UnicodeAttribute(attr_name="userId")
    status = UnicodeAttribute(default="deleting")  # deleting | deleted
    step = UnicodeAttribute(null=True)  # the hook (domain) in progress; None: not started
    cursor = UnicodeAttribute(null=True)  # that hook's cursor; None: from its start
    done = JSONAttribute(default=list)  # the hooks finished, in order
    seq = NumberAttribute(default=0)
    notify_email = UnicodeAttribute(attr_name="notifyEmail", null=True)
    notify_name = UnicodeAttribute(attr_name="notifyName", null=True)
    requested_at = UTCDateTimeAttribute(attr_name="requestedAt")
    completed_at = UTCDateTimeAttribute(attr_name="completedAt", null=True)
