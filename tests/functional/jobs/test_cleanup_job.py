"""The hourly cleanup job on moto: expired sessions, codes, reset tokens and OAuth states go promptly.

Items are created by the real services at the real time; the job is then run with a
later clock (``now=``) to age them, which is what an hour passing looks like to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra import template
from infra.local import lambdas
from infra.local.events import schedule_event
from souk.db import expiry
from souk.identity import keys
from souk.identity.models import OAuthState, OneTimeCode, ResetToken, Session, UserSettings
from souk.identity.schemas.sessions import Client
from souk.identity.service import accounts, oauth, sessions
from souk.identity.service.sessions import start_session
from souk.identity.store import codes
from souk.jobs import service as cleanup
from souk.jobs.schedule import Budget
from tests.factories import create_user
from tests.support import ApiClient, assert_error


@pytest.fixture
def oauth_configured(aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    from souk.settings import get_settings

    monkeypatch.setenv("OAUTH_GOOGLE_CLIENT_ID", "id")
    monkeypatch.setenv("OAUTH_GOOGLE_CLIENT_SECRET", "secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _exists(model: type, pk: str, sk: str) -> bool:
    try:
        model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return False
    return True


def _world() -> dict[str, tuple[str, str]]:
    """One of each expiring item, made by the services that own them (keys of each)."""
    user = create_user()
    session = start_session(user, Client(ip="127.0.0.1", user_agent="pytest")).session
    _, code = codes.new_code(user.user_id, accounts.VERIFY_PURPOSE)
    code.save()
    state = _state_of(oauth.authorize("google", base_url="http://localhost"))
    return {
        "session": (session.pk, session.sk),
        "code": (code.pk, code.sk),
        "state": (keys.oauth_state(state), keys.oauth_state(state)),
    }


def _state_of(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)["state"][0]


def test_expired_items_go_live_ones_stay_and_a_second_run_does_nothing(oauth_configured: None) -> None:
    # GIVEN a session (30 days), a one-time code and an OAuth state (10 minutes each)
    items = _world()
    later = datetime.now(UTC) + timedelta(hours=2)
    # WHEN the job runs two hours later
    report = cleanup.run(now=later)
    # THEN the code and the state are gone, the session stays
    assert report.complete and report.deleted == {"OneTimeCode": 1, "OAuthState": 1}
    assert not _exists(OneTimeCode, *items["code"]) and not _exists(OAuthState, *items["state"])
    assert _exists(Session, *items["session"])
    # AND a second run finds nothing to do and leaves the cursor where it was
    again = cleanup.run(now=later)
    assert again.total == 0 and again.deleted == {} and again.cursor == report.cursor


def test_the_cursor_advances_over_the_finished_hours(aws_resources: dict[str, str]) -> None:
    # GIVEN a first run now
    now = datetime.now(UTC)
    first = cleanup.run(now=now)
    assert first.cursor == expiry.hour_bucket(now - timedelta(hours=1)) == cleanup.last_finished_bucket()
    # WHEN the job next runs three hours later
    later = now + timedelta(hours=3)
    report = cleanup.run(now=later)
    # THEN it read every hour after its cursor up to the current one, and finished all but the current
    assert report.first_bucket == expiry.hour_bucket(now) and report.buckets == 4
    assert report.cursor == expiry.hour_bucket(later - timedelta(hours=1)) == cleanup.last_finished_bucket()


def test_an_expired_session_is_removed_and_its_token_refused(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a session started 31 days ago (so past its 30 days), not revoked
    user = create_user()
    with monkeypatch.context() as clock:
        clock.setattr(sessions, "_now", lambda: datetime.now(UTC) - timedelta(days=31))
        issued = start_session(user, Client(ip="127.0.0.1", user_agent="pytest"))
    listed = Session.gsi1.query(keys.user_sessions(user.user_id))
    assert [s.session_id for s in listed] == [issued.session.session_id]
    # WHEN the job runs
    report = cleanup.run()
    # THEN the session is gone, from the user's sessions too, and its access token is refused
    assert report.deleted == {"Session": 1}
    assert not _exists(Session, issued.session.pk, issued.session.sk)
    assert list(Session.gsi1.query(keys.user_sessions(user.user_id))) == []
    assert_error(api.get("/api/v1/auth/me", token=issued.access_token), 401, "INVALID_TOKEN")


def test_a_code_replaced_after_the_job_read_it_is_left_alone(
    aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the job has read an expired code's index entry...
    user = create_user()
    _, old = codes.new_code(user.user_id, accounts.VERIFY_PURPOSE)
    old.save()
    raw = OneTimeCode._get_connection().get_item(old.pk, old.sk)["Item"]
    # ...and meanwhile a resend replaced it with a fresh code (a later expiry: another index entry)
    monkeypatch.setattr(codes, "CODE_MINUTES", codes.CODE_MINUTES + 5)
    _, fresh = codes.new_code(user.user_id, accounts.VERIFY_PURPOSE)
    fresh.save()
    assert fresh.gsi4sk != old.gsi4sk
    # WHEN the job deletes what it read
    removed = cleanup.handlers()["OneTimeCode"](raw)
    # THEN the fresh code survives
    assert removed is False
    assert OneTimeCode.get(old.pk, old.sk, consistent_read=True).gsi4sk == fresh.gsi4sk


def test_reset_tokens_in_the_index_are_removed(aws_resources: dict[str, str]) -> None:
    # GIVEN a reset token carrying the expiry index keys (as its creator writes them)
    valid_until = datetime.now(UTC) + timedelta(minutes=30)
    pk = keys.reset_token("0" * 64)
    ResetToken(pk=pk, sk=pk, user_id="u1", valid_until=valid_until, **expiry.index_keys(valid_until, pk)).save()
    # WHEN
    report = cleanup.run(now=valid_until + timedelta(seconds=1))
    # THEN
    assert report.deleted == {"ResetToken": 1} and not _exists(ResetToken, pk, pk)


def test_an_entity_without_a_handler_is_skipped_not_deleted(aws_resources: dict[str, str]) -> None:
    valid_until = datetime.now(UTC) + timedelta(minutes=1)
    pk = keys.user("someone")
    UserSettings(pk=pk, sk=keys.SETTINGS, **expiry.index_keys(valid_until, pk)).save()
    report = cleanup.run(now=valid_until + timedelta(minutes=1))
    assert report.skipped == 1 and report.total == 0 and _exists(UserSettings, pk, keys.SETTINGS)


def test_out_of_time_it_stops_without_moving_the_cursor(aws_resources: dict[str, str]) -> None:
    # GIVEN an expired code and no time left
    user = create_user()
    _, code = codes.new_code(user.user_id, accounts.VERIFY_PURPOSE)
    code.save()
    spent = Budget(deadline=0.0)
    # WHEN
    report = cleanup.run(spent, now=datetime.now(UTC) + timedelta(hours=1))
    # THEN nothing is done and nothing is marked done: the next run picks it up
    assert report.complete is False and report.total == 0 and cleanup.last_finished_bucket() is None
    assert _exists(OneTimeCode, code.pk, code.sk)
    assert cleanup.run(now=datetime.now(UTC) + timedelta(hours=1)).deleted == {"OneTimeCode": 1}


def test_the_scheduled_lambda_runs_the_job(aws_resources: dict[str, str]) -> None:
    # GIVEN the function the template schedules hourly
    function = next(f for f in template.functions() if f.logical_id == "CleanupJobFunction")
    schedule = next(s for s in template.schedules() if s.function == function)
    assert schedule.expression == "rate(1 hour)"
    user = create_user()
    session = start_session(user, Client()).session
    before = expiry.hour_bucket(datetime.now(UTC) - timedelta(hours=1))
    # WHEN EventBridge fires it
    result = lambdas.invoke(function, schedule_event(schedule.name))
    # THEN it ran to completion, kept the live session and recorded its cursor (the last whole hour)
    after = expiry.hour_bucket(datetime.now(UTC) - timedelta(hours=1))
    assert result["complete"] is True and result["total"] == 0
    assert result["cursor"] == cleanup.last_finished_bucket() and result["cursor"] in {before, after}
    assert _exists(Session, session.pk, session.sk)
