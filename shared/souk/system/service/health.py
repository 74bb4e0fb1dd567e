"""GET /health: every dependency's reachability, checked in parallel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from souk.settings import Settings, get_settings
from souk.system import store
from souk.system.schemas import CheckResult, HealthReport


def overall(results: dict[str, CheckResult]) -> Literal["ok", "degraded"]:
    """``degraded`` when any check failed."""
    return "ok" if all(r.ok for r in results.values()) else "degraded"


def check_health(settings: Settings | None = None) -> HealthReport:
    """Every dependency's reachability; ``degraded`` when any fails."""
    checks = store.probes(settings or get_settings())
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        results = dict(zip(checks, pool.map(store.run_probe, checks.values()), strict=True))
    return HealthReport(status=overall(results), checks=results)
