"""What the system routes answer: the version, and the health of every dependency."""

from __future__ import annotations

from typing import Literal

from souk.schema import CamelModel


class VersionInfo(CamelModel):
    version: str
    git_sha: str
    build_time: str
    stage: str


class CheckResult(CamelModel):
    ok: bool
    latency_ms: int
    error: str | None = None


class HealthReport(CamelModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, CheckResult]
