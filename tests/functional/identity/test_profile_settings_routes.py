"""Profiles (GET/PUT /users/{userId}/profile) and the caller's settings (GET/PUT /settings)."""

from __future__ import annotations

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.identity import keys as identity_keys
from souk.identity.models import User, UserSettings
from tests.factories import create_user, ready_upload, token_for
from tests.support import ApiClient, assert_error

PROFILE_FIELDS = {"bio": "Baker in Alex.", "timezone": "Africa/Cairo", "language": "ar-EG"}


def audit_actions(resource_type: str, resource_id: str) -> list[str]:
    return [r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource(resource_type, resource_id))]


def _profile(user: User) -> str:
    return f"/api/v1/users/{user.user_id}/profile"


# --- profile
def test_profile_starts_empty_and_put_replaces_it(api: ApiClient) -> None:
    # GIVEN a new user
    user = create_user()
    token = token_for(user)
    profile = {**PROFILE_FIELDS, "avatarUploadId": ready_upload(user)}
    empty = api.get(_profile(user), token=token)
    assert empty.status == 200, empty.body
    assert {k: empty.json["data"][k] for k in profile} == dict.fromkeys(profile)
    # WHEN the whole profile is put
    put = api.put(_profile(user), json_body=profile, token=token)
    # THEN it is stored and read back, and audited
    assert put.status == 200, put.body
    again = api.get(_profile(user), token=token).json["data"]
    assert {k: again[k] for k in profile} == profile and again["userId"] == user.user_id
    assert User.get(identity_keys.user(user.user_id), identity_keys.PROFILE).timezone == "Africa/Cairo"
    assert audit_actions("user", user.user_id)[-1] == "profile.update"
    # AND a PUT without a field clears it (it replaces the profile)
    cleared = api.put(_profile(user), json_body={"bio": "Only a bio"}, token=token).json["data"]
    assert (cleared["bio"], cleared["timezone"], cleared["avatarUploadId"]) == ("Only a bio", None, None)


def test_admin_reads_and_writes_any_profile_but_others_get_404(api: ApiClient) -> None:
    user, other, admin = create_user(), create_user(), create_user("admin")
    assert api.put(_profile(user), json_body={"language": "fr"}, token=token_for(admin)).status == 200
    assert api.get(_profile(user), token=token_for(admin)).json["data"]["language"] == "fr"
    assert_error(api.get(_profile(user), token=token_for(other)), 404, "NOT_FOUND")
    assert_error(api.put(_profile(user), json_body={"bio": "mine now"}, token=token_for(other)), 404, "NOT_FOUND")
    assert api.get(_profile(user), token=token_for(user)).json["data"]["bio"] is None


def test_profile_validation_names_each_bad_field(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    cases = [({"timezone": "Mars/Olympus"}, "timezone"), ({"timezone": "cairo"}, "timezone"),
             ({"language": "english!"}, "language"), ({"language": "e"}, "language"), ({"bio": "x" * 501}, "bio"),
             ({"avatarUploadId": "a/b"}, "avatarUploadId")]  # fmt: skip
    for body, field in cases:
        payload = assert_error(api.put(_profile(user), json_body=body, token=token), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in payload["error"]["details"]] == [field], body


def test_profile_needs_a_valid_token(api: ApiClient) -> None:
    user = create_user()
    assert_error(api.get(_profile(user)), 401, "UNAUTHORIZED")
    assert_error(api.put(_profile(user), json_body=PROFILE_FIELDS), 401, "UNAUTHORIZED")
    assert_error(api.get(_profile(user), token="bad"), 401, "INVALID_TOKEN")
    assert_error(api.put(_profile(user), json_body=PROFILE_FIELDS, token="bad"), 401, "INVALID_TOKEN")


def test_profile_of_a_deleted_user_is_404_even_for_admins(api: ApiClient) -> None:
    user, admin = create_user(), token_for(create_user("admin"))
    api.delete(f"/api/v1/users/{user.user_id}", token=admin)
    assert_error(api.get(_profile(user), token=admin), 404, "NOT_FOUND")


# --- settings
def test_settings_default_until_saved(api: ApiClient) -> None:
    response = api.get("/api/v1/settings", token=token_for(create_user()))
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["locale"] == "en" and data["updatedAt"] is None
    channels = data["notificationChannels"]
    assert channels["orders"] == {"inApp": True, "email": True, "sms": True}
    assert channels["promotions"] == {"inApp": True, "email": False, "sms": False}


def test_put_settings_saves_them_for_the_caller_only(api: ApiClient) -> None:
    # GIVEN two users
    user, other = create_user(), create_user()
    token = token_for(user)
    body = {"locale": "ar-EG", "notificationChannels": {"promotions": {"inApp": False, "email": False, "sms": False}}}
    # WHEN one saves settings
    put = api.put("/api/v1/settings", json_body=body, token=token)
    # THEN they read back (types left out keep their defaults), stored and audited
    assert put.status == 200, put.body
    data = api.get("/api/v1/settings", token=token).json["data"]
    assert data["locale"] == "ar-EG" and data["updatedAt"] is not None
    assert data["notificationChannels"]["promotions"] == {"inApp": False, "email": False, "sms": False}
    assert data["notificationChannels"]["orders"] == {"inApp": True, "email": True, "sms": True}
    stored = UserSettings.get(identity_keys.user(user.user_id), identity_keys.SETTINGS)
    assert stored.locale == "ar-EG" and stored.notification_channels["promotions"]["inApp"] is False
    assert audit_actions("user_settings", user.user_id) == ["settings.update"]
    # AND the other user still has the defaults
    assert api.get("/api/v1/settings", token=token_for(other)).json["data"]["locale"] == "en"


def test_settings_validation_names_each_bad_field(api: ApiClient) -> None:
    token = token_for(create_user())
    on = {"inApp": True, "email": True, "sms": True}
    cases = [({"locale": "english!"}, "locale"),
             ({"notificationChannels": {"carrierPigeon": on}}, "notificationChannels.carrierPigeon"),
             ({"notificationChannels": {"orders": {"inApp": True, "email": True}}}, "notificationChannels.orders.sms"),
             ({"notificationChannels": {"orders": {**on, "fax": True}}}, "notificationChannels.orders.fax"),
             ({"notificationChannels": {"orders": {**on, "sms": "maybe"}}}, "notificationChannels.orders.sms"),
             ({"theme": "dark"}, "theme")]  # fmt: skip
    for body, field in cases:
        payload = assert_error(api.put("/api/v1/settings", json_body=body, token=token), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in payload["error"]["details"]] == [field], body


def test_settings_need_a_valid_token(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/settings"), 401, "UNAUTHORIZED")
    assert_error(api.put("/api/v1/settings", json_body={"locale": "en"}), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/v1/settings", token="bad"), 401, "INVALID_TOKEN")
    assert_error(api.put("/api/v1/settings", json_body={"locale": "en"}, token="bad"), 401, "INVALID_TOKEN")
