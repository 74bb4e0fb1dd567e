"""Team races on DynamoDB Local: what every module here needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from souk.caller import Principal
from souk.teams.service import invites
from tests.factories import create_user


@pytest.fixture(autouse=True)
def emailed_tokens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """DynamoDB Local has no SQS: keep the tokens the invites would email."""
    tokens: list[str] = []
    monkeypatch.setattr(
        invites, "enqueue_email", lambda template, to, variables, **_: tokens.append(variables["token"])
    )
    yield tokens


def principal(user_id: str | None = None) -> Principal:
    """A signed-in customer: ``user_id``'s, or a new user's."""
    return Principal(user_id=user_id or create_user().user_id, role="customer", session_id="s")
