"""Identity entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| User | USER#<id> | PROFILE | gsi1 USERS / C#<created>#<id>; gsi2 USERS#<role> / C#<created>#<id>; gsi3 USERNAME / <name>#<id>; gsi4 USEREMAIL / <email> |
| EmailClaim | EMAIL#<email> | EMAIL | |
| OneTimeCode | USER#<id> | CODE#<purpose> | gsi4 expiry |
| Session | SESSION#<sid> | SESSION | gsi1 USER#<id>#SESSIONS / C#<created>#<sid>; gsi4 expiry |
| ResetToken | RESET#<sha256> | RESET | gsi4 expiry (once its creator writes it) |
| ApiKey | APIKEY#<sha256> | APIKEY#<sha256> | gsi1 USER#<id>#APIKEYS / C#<created>#<keyId> (active keys only); a team key also gsi2 TEAM_APIKEYS#<teamId> / C#<created>#<keyId> (active only) |
| Address | USER#<id> | ADDRESS#<addressId> | |
| AddressBook | USER#<id> | ADDRESSBOOK | |
| ApiKeyRing | USER#<id> | APIKEYRING | |
| TeamApiKeyRing | TEAM_APIKEYS#<teamId> | APIKEYRING | |
| UserSettings | USER#<id> | SETTINGS | |
| OAuthState | OAUTH#<state> | OAUTH#<state> | gsi4 expiry |
| OAuthIdentity | OAUTHID#<provider>#<subject> | OAUTHID#<provider>#<subject> | |

gsi4 expiry: ``EXPIRES#<yyyy-mm-ddThh>`` / ``<validUntil>#<pk>``, the index the hourly cleanup
job reads to remove expired items promptly (:mod:`souk.db.expiry`).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from souk.db.base import SoukItem, VersionedItem


class User(VersionedItem, discriminator="User"):
    user_id = UnicodeAttribute(attr_name="userId")
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    status = UnicodeAttribute()  # pending_verification | active | suspended | deleting (souk.privacy) | deleted
    password_hash = UnicodeAttribute(attr_name="passwordHash", null=True)  # null for OAuth-only accounts
    mfa_enabled = BooleanAttribute(attr_name="mfaEnabled", default=False)
    totp_secret = UnicodeAttribute(attr_name="totpSecret", null=True)
    totp_pending_secret = UnicodeAttribute(attr_name="totpPendingSecret", null=True)
    totp_last_step = NumberAttribute(attr_name="totpLastStep", default=0)
    backup_code_hashes = UnicodeSetAttribute(attr_name="backupCodeHashes", null=True)
    avatar_upload_id = UnicodeAttribute(attr_name="avatarUploadId", null=True)
    bio = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    deleted_at = UTCDateTimeAttribute(attr_name="deletedAt", null=True)


class EmailClaim(SoukItem, discriminator="EmailClaim"):
    """Makes an email unique: created with a condition in the same transaction as the user."""

    user_id = UnicodeAttribute(attr_name="userId")


class OneTimeCode(SoukItem, discriminator="OneTimeCode"):
    code_hash = UnicodeAttribute(attr_name="codeHash")
    attempts = NumberAttribute(default=0)
    max_attempts = NumberAttribute(attr_name="maxAttempts", default=5)
    valid_until = UTCDateTimeAttribute(attr_name="validUntil")


class Session(SoukItem, discriminator="Session"):
    session_id = UnicodeAttribute(attr_name="sessionId")
    user_id = UnicodeAttribute(attr_name="userId")
    role = UnicodeAttribute()
    refresh_hash = UnicodeAttribute(attr_name="refreshHash")
    generation = NumberAttribute(default=0)
    revoked = BooleanAttribute(default=False)
    revoked_reason = UnicodeAttribute(attr_name="revokedReason", null=True)
    device = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(attr_name="userAgent", null=True)
    last_used_at = UTCDateTimeAttribute(attr_name="lastUsedAt")
    valid_until = UTCDateTimeAttribute(attr_name="validUntil")


class ResetToken(SoukItem, discriminator="ResetToken"):
    user_id = UnicodeAttribute(attr_name="userId")
    valid_until = UTCDateTimeAttribute(attr_name="validUntil")
    # A digest of the password hash when the token was issued: any password change since
    # (another reset, a change) makes every older token useless, with no per-user index.
    password_stamp = UnicodeAttribute(attr_name="passwordStamp", null=True)


class ApiKey(SoukItem, discriminator="ApiKey"):
    key_id = UnicodeAttribute(attr_name="keyId")
    user_id = UnicodeAttribute(attr_name="userId")
    role = UnicodeAttribute()
    name = UnicodeAttribute()
    prefix = UnicodeAttribute()
    team_id = UnicodeAttribute(attr_name="teamId", null=True)  # a team key: counted in the team's usage and limit
    revoked = BooleanAttribute(default=False)
    last_used_at = UTCDateTimeAttribute(attr_name="lastUsedAt", null=True)


class Address(SoukItem, discriminator="Address"):
    address_id = UnicodeAttribute(attr_name="addressId")
    user_id = UnicodeAttribute(attr_name="userId")
    label = UnicodeAttribute()
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    city = UnicodeAttribute()
    postal_code = UnicodeAttribute(attr_name="postalCode", null=True)
    country = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()
    is_default = BooleanAttribute(attr_name="isDefault", default=False)


class AddressBook(VersionedItem, discriminator="AddressBook"):
    """A user's address count and default: every address write is conditional on its version,
    so the 20-address cap and the single default hold under concurrent requests."""

    address_count = NumberAttribute(attr_name="addressCount", default=0)  # not `count`: Model.count() exists
    default_id = UnicodeAttribute(attr_name="defaultId", null=True)


class ApiKeyRing(SoukItem, discriminator="ApiKeyRing"):
    """How many of a user's API keys are active (personal and team keys: the 10-key cap conditions on it),
    and how many of those are team keys (absent: none; the personal keys are ``active - teamKeys``)."""

    active = NumberAttribute(default=0)
    team_keys = NumberAttribute(attr_name="teamKeys", null=True)


class TeamApiKeyRing(SoukItem, discriminator="TeamApiKeyRing"):
    """How many API keys created for a team are active: the team plan's ``apiKeys`` limit conditions on it."""

    active = NumberAttribute(default=0)


class UserSettings(SoukItem, discriminator="UserSettings"):
    locale = UnicodeAttribute(default="en")
    notification_channels = JSONAttribute(attr_name="notificationChannels", null=True)


class OAuthState(SoukItem, discriminator="OAuthState"):
    provider = UnicodeAttribute()
    code_verifier = UnicodeAttribute(attr_name="codeVerifier")
    redirect_uri = UnicodeAttribute(attr_name="redirectUri")
    valid_until = UTCDateTimeAttribute(attr_name="validUntil")


class OAuthIdentity(SoukItem, discriminator="OAuthIdentity"):
    user_id = UnicodeAttribute(attr_name="userId")
    provider = UnicodeAttribute()
    subject = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
