"""Audit counters on DynamoDB Local: ten audited mutations at once are all counted, even when every
one bumps the same counter item (plain UpdateItems queue; none fails the mutation or is lost)."""

from __future__ import annotations

import pytest

from souk.audit import counters
from souk.audit.models import AuditRecord
from souk.audit.reads import report
from souk.audit.schemas import AuditReportQuery
from souk.caller import Principal
from souk.teams.schemas import TeamIn
from souk.teams.service import teams
from tests.factories import create_user
from tests.races import at_once

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("shards", [counters.SHARDS, 1])
def test_ten_audited_writes_at_once_are_counted_ten(table: str, shards: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counters, "SHARDS", shards)
    owner = create_user()
    principal = Principal(user_id=owner.user_id, role="customer", session_id="s")
    before = report(AuditReportQuery()).total  # the fixture's own audited setup (a delivery zone)
    made = at_once([lambda n=n: teams.create_team(principal, TeamIn(name=f"Team {n}")) for n in range(10)])
    assert len({team.id for team in made}) == 10  # every mutation committed (the counters failed none)

    counted = report(AuditReportQuery())
    assert counted.total == before + 10
    assert ("team.create", 10) in [(row.action, row.count) for row in counted.by_action]
    assert (owner.user_id, 10) in [(row.actor_id, row.count) for row in counted.by_actor]
    written = list(AuditRecord.gsi1.query(f"AUDIT_ACTOR#{owner.user_id}"))
    assert len(written) == 10
    used = {counters.shard_of(record.audit_id) for record in written}
    assert used <= set(range(shards)) and (shards > 1 or used == {0})
