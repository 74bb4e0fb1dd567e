"""Identity's items in the expiry index, and what the hourly cleanup job does with each.

Found by convention (:mod:`souk.registry`) by :mod:`souk.jobs.service`, which names no domain.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, UpdateError

from souk.identity.models import OAuthState, OneTimeCode, ResetToken, Session
from souk.jobs.service import ExpiryHandler, RawItem, delete_if_unchanged


def expire_session(raw: RawItem) -> bool:
    """Revoke first (its access token is refused even if the delete then fails), then delete."""
    session = Session.from_raw_data(raw)
    seen = Session.gsi4sk == session.gsi4sk
    try:
        reason = Session.revoked_reason.set(Session.revoked_reason | "expired")  # keeps an earlier reason
        session.update(actions=[Session.revoked.set(True), reason], condition=seen)
        session.delete(condition=seen)
    except (UpdateError, DeleteError) as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False  # re-created with a later expiry, or gone
        raise
    return True


EXPIRING: dict[str, ExpiryHandler] = {
    "Session": expire_session,
    "OneTimeCode": delete_if_unchanged(OneTimeCode),
    "ResetToken": delete_if_unchanged(ResetToken),
    "OAuthState": delete_if_unchanged(OAuthState),
}
