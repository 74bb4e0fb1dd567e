"""The GDPR account export (``GET /api/v1/me/export``): an ``account`` export job for the caller.

The job is an ordinary export (:func:`souk.exports.service.exports.start_internal`): 202 with the job,
then ``GET /api/v1/exports/{id}`` shows its progress and, once completed, its ``downloadUrl``. The rows
come from every privacy hook (:mod:`souk.privacy.exporting`). From a signed-in session only (an API key
must not be a way to take a copy of the whole account), at most :data:`ACCOUNT_EXPORTS` an hour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.db.ratelimit import RateLimit
from souk.exports.service.exports import start_internal
from souk.identity.service.sessions import require_session

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.exports.schemas import ExportOut

ACCOUNT_EXPORTS = RateLimit("account-exports", limit=5, window_seconds=60 * 60)


def start_account_export(principal: Principal) -> ExportOut:
    """Queue the caller's account export (JSON Lines, each row with its ``kind``).

    Raises
    ------
    Forbidden
        An API key.
    RateLimitExceeded
        More than 5 in an hour.
    ServiceUnavailable
        The job could not be queued.
    """
    require_session(principal)
    ACCOUNT_EXPORTS.enforce(principal.user_id)
    return start_internal(principal.user_id, "account", "json")
