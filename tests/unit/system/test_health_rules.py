"""Health's verdict, without AWS: degraded as soon as one dependency fails."""

from __future__ import annotations

from souk.system.schemas import CheckResult
from souk.system.service.health import overall

OK = CheckResult(ok=True, latency_ms=3)
DOWN = CheckResult(ok=False, latency_ms=2000, error="EndpointConnectionError")


def test_all_reachable_is_ok_and_one_failure_is_degraded() -> None:
    assert overall({"table": OK, "emailQueue": OK}) == "ok"
    assert overall({"table": OK, "emailQueue": DOWN}) == "degraded"
