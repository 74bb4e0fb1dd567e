"""The subscription rules: an older webhook state never overwrites a newer one."""

from __future__ import annotations

import itertools

import pytest

from souk.billing.rules import order_key, supersedes

T = 1_765_000_000


def final_state(events: list[tuple[str, int]]) -> str | None:
    """Apply events as the store does (the conditional update on the order key), in the given order."""
    stored: tuple[int, str] | None = None
    for status, created in events:
        key = order_key(status, created)
        if supersedes(key, stored[0] if stored else None):
            stored = (key, status)
    return stored[1] if stored else None


LIFE = [("incomplete", T), ("active", T + 5), ("past_due", T + 30 * 86400), ("active", T + 30 * 86400 + 60),
        ("canceled", T + 60 * 86400)]  # fmt: skip


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(LIFE)))))
def test_whatever_the_delivery_order_the_newest_state_wins(order: tuple[int, ...]) -> None:
    assert final_state([LIFE[i] for i in order]) == "canceled"
    without_cancel = [LIFE[i] for i in order if i != 4]
    assert final_state(without_cancel) == "active"


def test_a_replay_changes_nothing_and_an_older_event_is_refused() -> None:
    key = order_key("active", T + 5)
    assert not supersedes(key, key)
    assert not supersedes(order_key("incomplete", T), key)
    assert supersedes(key, None)


def test_a_stale_deleted_does_not_cancel_an_active_subscription() -> None:
    # a cancellation made before the state stored (delivered late) is older: it changes nothing
    assert final_state([("active", T + 100), ("canceled", T + 50)]) == "active"
    assert final_state([("canceled", T + 50), ("active", T + 100)]) == "active"


def test_in_the_same_second_the_later_state_of_the_usual_life_wins() -> None:
    assert final_state([("active", T), ("incomplete", T)]) == "active"
    assert final_state([("past_due", T), ("active", T)]) == "past_due"
    assert final_state([("canceled", T), ("active", T)]) == "canceled"


def test_unknown_status_or_time_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        order_key("gold", T)
    with pytest.raises(ValueError, match="time"):
        order_key("active", -1)
