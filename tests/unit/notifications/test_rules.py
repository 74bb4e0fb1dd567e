"""Notifications' pure rules: the deterministic id, the channels a user's preferences give, a broadcast page's plan."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from souk.notifications.schemas import TYPES, BroadcastJob, PreferencesPatch
from souk.notifications.service import preferences
from souk.notifications.service.broadcasts import Delivery, needs_next, page_state, plan_page
from souk.notifications.service.notifications import notification_id, plan


def test_the_same_event_gives_the_same_id_and_any_other_value_another() -> None:
    # GIVEN one event
    first = notification_id("u1", "order", "o1", "paid")
    # THEN the same four values give the same id, a version given as int or str alike
    assert first == notification_id("u1", "order", "o1", "paid")
    assert notification_id("u1", "order", "o1", 3) == notification_id("u1", "order", "o1", "3")
    # AND changing any one of them gives another id
    variants = [("u2", "order", "o1", "paid"), ("u1", "payment", "o1", "paid"), ("u1", "order", "o2", "paid"),
                ("u1", "order", "o1", "shipped")]  # fmt: skip
    others = {notification_id(*variant) for variant in variants}
    assert first not in others and len(others) == 4
    assert len(first) == 32 and int(first, 16) >= 0


def test_a_separator_inside_a_value_cannot_make_two_events_collide() -> None:
    assert notification_id("u1", "order", "a#b", "c") != notification_id("u1", "order", "a", "b#c")
    assert notification_id("u1", "order", "a|b", "c") != notification_id("u1", "order", "a", "b|c")


def test_defaults_cover_every_type_marketing_is_not_emailed_sms_only_for_orders_and_deliveries() -> None:
    channels = preferences.effective(None)
    assert set(channels) == set(TYPES)
    assert all(c["in_app"] for c in channels.values())
    assert {t for t, c in channels.items() if not c["email"]} == {"marketing"}
    assert {t for t, c in channels.items() if c["sms"]} == {"order", "delivery"}


def test_saved_channels_override_the_defaults_one_by_one_and_retired_ones_are_ignored() -> None:
    saved = {"order": {"email": False}, "promotions": {"email": True}, "review": {"sms": "yes", "in_app": False}}
    channels = preferences.effective(saved)
    assert channels["order"] == {"in_app": True, "email": False, "sms": True}
    assert channels["review"] == {"in_app": False, "email": True, "sms": False}  # "yes" is not a bool: ignored
    assert "promotions" not in channels


def test_merge_changes_only_the_channels_sent() -> None:
    saved = {"order": {"email": False}, "team": {"sms": True}}
    merged = preferences.merge(saved, {"order": {"sms": False}, "marketing": {"email": True}})
    assert merged == {"order": {"email": False, "sms": False}, "team": {"sms": True}, "marketing": {"email": True}}
    assert saved == {"order": {"email": False}, "team": {"sms": True}}  # not mutated


def test_account_emails_go_even_when_the_user_turned_email_off() -> None:
    channels = preferences.effective({"account": {"email": False}, "order": {"email": False}})
    assert preferences.allows(channels, "account", "email") is True
    assert preferences.allows(channels, "order", "email") is False
    # the other channels of account follow the preference
    off = preferences.effective({"account": {"in_app": False, "sms": True}})
    assert preferences.allows(off, "account", "in_app") is False
    assert preferences.allows(off, "account", "sms") is True


def test_plan_sends_only_what_the_event_has_and_the_user_allows() -> None:
    channels = preferences.effective({"payment": {"email": False}})
    order = plan(channels, "order", email=True, sms=True, phone=True)
    assert (order.in_app, order.email, order.sms) == (True, True, True)
    assert plan(channels, "order", email=True, sms=True, phone=False).sms is False  # no phone number
    assert plan(channels, "order", email=False, sms=False, phone=True).email is False  # no message to send
    assert plan(channels, "payment", email=True, sms=False, phone=True).email is False  # turned off
    assert plan(channels, "account", email=True, sms=False, phone=True).email is True


def test_a_preferences_patch_rejects_unknown_types_and_channels_and_an_empty_body() -> None:
    assert PreferencesPatch.model_validate({"order": {"inApp": False}}).changes() == {"order": {"in_app": False}}
    for body in ({"promotions": {"email": True}}, {"order": {"push": True}}, {}, {"order": {}},
                 {"order": {"email": "maybe"}}, {"order": None}, {"order": {"email": None}}):  # fmt: skip
        with pytest.raises(ValidationError):
            PreferencesPatch.model_validate(body)


@dataclass
class _User:
    user_id: str
    email: str
    status: str


def test_a_broadcast_page_reaches_active_users_by_their_marketing_channels() -> None:
    users = [_User("a", "a@x.io", "active"), _User("b", "b@x.io", "suspended"), _User("c", "c@x.io", "active"),
             _User("d", "d@x.io", "pending_verification"), _User("e", "e@x.io", "active")]  # fmt: skip
    saved = {"c": {"marketing": {"email": True}}, "e": {"marketing": {"in_app": False}}}
    assert plan_page(users, saved) == [
        Delivery("a", in_app=True, email=None),  # the defaults: in the app, no marketing email
        Delivery("c", in_app=True, email="c@x.io"),
        Delivery("e", in_app=False, email=None),  # still a delivery: its record is what makes the email go once
    ]


def test_page_state_tells_the_next_page_from_a_redelivery_and_from_one_too_early() -> None:
    assert page_state(pages_done=0, page=1) == "todo"
    assert page_state(pages_done=3, page=4) == "todo"
    assert page_state(pages_done=3, page=3) == "counted"
    assert page_state(pages_done=3, page=1) == "counted"
    assert page_state(pages_done=3, page=5) == "early"


def test_a_counted_page_sends_its_successor_again_only_if_it_may_not_have_been_sent() -> None:
    assert needs_next("sending", queued_page=3, page=3) is True  # page 3 counted, page 4 never queued
    assert needs_next("sending", queued_page=4, page=3) is False  # page 4 already queued
    assert needs_next("completed", queued_page=3, page=3) is False  # page 3 was the last


def test_a_broadcast_job_round_trips_through_its_message_body() -> None:
    job = BroadcastJob(broadcast_id="b1", page=2, cursor={"pk": {"S": "USER#1"}, "gsi1pk": {"S": "USERS"}})
    assert BroadcastJob.model_validate_json(job.body()) == job
    with pytest.raises(ValidationError):
        BroadcastJob.model_validate({"broadcastId": "b1", "page": 0})


# ---------------------------------------------------------------- /settings switches the per-type preferences refine


def test_the_settings_defaults_notifications_assumes_are_identitys() -> None:
    from souk.identity.schemas.user_settings import NotificationChannels

    assert NotificationChannels().model_dump(by_alias=True) == preferences.SETTINGS_DEFAULTS
    assert set(preferences.SETTINGS_GROUPS.values()) == set(NotificationChannels.model_fields)
    assert set(preferences.SETTINGS_GROUPS) <= set(TYPES)


def test_nothing_saved_in_settings_leaves_the_preferences_as_they_are() -> None:
    channels = preferences.effective({"payment": {"sms": True}, "marketing": {"email": True}})
    assert preferences.gated(channels, None) == channels
    assert preferences.gated(channels, dict(preferences.SETTINGS_DEFAULTS)) == channels


def test_a_channel_off_in_settings_is_off_for_its_type_only_and_account_emails_still_go() -> None:
    # GIVEN order emails and account emails switched off in /settings, order emails on in the preferences
    settings = {"orders": {"inApp": True, "email": False, "sms": True}, "account": {"inApp": True, "email": False}}
    channels = preferences.gated(preferences.effective({"order": {"email": True}}), settings)
    # THEN orders are not emailed, other types are, and account emails go whatever
    assert channels["order"] == {"in_app": True, "email": False, "sms": True}
    assert channels["delivery"]["email"] and channels["points"]["email"]
    assert not channels["account"]["email"] and preferences.allows(channels, "account", "email")


def test_opt_ins_are_the_preferences_alone_settings_off_by_default_channels_are_not_switches() -> None:
    # GIVEN /settings saved with its defaults (promotions email off, payments SMS off) and opt-ins in the preferences
    saved = {"marketing": {"email": True}, "payment": {"sms": True}}
    channels = preferences.gated(preferences.effective(saved), dict(preferences.SETTINGS_DEFAULTS))
    # THEN the opt-ins hold; a user opts in in one place
    assert channels["marketing"]["email"] and channels["payment"]["sms"]
    # AND a settings channel that is on by default does switch off (promotions in the app)
    off = preferences.gated(channels, {"promotions": {"inApp": False, "email": True, "sms": True}})
    assert not off["marketing"]["in_app"] and off["marketing"]["email"]
