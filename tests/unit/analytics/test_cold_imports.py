"""The analytics routes gate store owners on their plan (souk.plans): that loads the plans' catalog and the
entitlement item only, never Stripe, billing nor the commerce domains."""

from __future__ import annotations

import pytest

from tests.unit.test_cold_imports import COMMERCE, _loaded, cold_import


@pytest.mark.parametrize("logical_id", ["AnalyticsGetFunction", "AnalyticsChartFunction"])
def test_the_gated_analytics_routes_load_the_plans_and_nothing_heavy(logical_id: str) -> None:
    report = cold_import(logical_id)
    assert "souk.plans.service.entitlements" in report["modules"]
    assert [m for m in report["modules"] if m.startswith(COMMERCE)] == []
    for heavy in ("stripe", "souk.billing", "aws_xray_sdk"):
        assert not _loaded(report, heavy), heavy
