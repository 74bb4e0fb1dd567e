"""Start the local runner (`make run`) as a subprocess on free ports and talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.local.dynamodb_local import free_port, unavailable_reason
from infra.local.routing import HttpResponse
from infra.template import ROOT

# ~10 s on an idle machine; a shared, busy one (two JVMs, parallel suites) can take several times that.
STARTUP_TIMEOUT = 90.0
# Variables the runner would otherwise take from the developer's shell (or the test env).
_NOT_INHERITED = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "SENDGRID_API_BASE",
                  "SENDGRID_API_KEY", "STRIPE_API_BASE", "STRIPE_PORT", "PORT", "MOTO_PORT", "DYNAMODB_PORT",
                  "SOUK_LOCAL_DIR", "SOUK_DYNAMODB", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")  # fmt: skip


# The same shape the in-process route tests get, so helpers work on both.
Reply = HttpResponse


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One request with the standard library; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, dict(exc.headers.items()), exc.read())


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.2) -> Any:
    """The first truthy value of ``predicate`` within ``timeout``, else the last (falsy) one."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@dataclass
class RunnerProcess:
    """`python -m infra.local.runner` in a subprocess, with its own ports and local dir."""

    local_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    moto_port: int = field(default_factory=free_port)
    dynamodb_port: int = field(default_factory=free_port)
    stripe_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stripe_url(self) -> str:
        return f"http://127.0.0.1:{self.stripe_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def uses_dynamodb_local(self) -> bool:
        return self.extra_env.get("SOUK_DYNAMODB") != "moto" and unavailable_reason() is None

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}" if self.uses_dynamodb_local else self.moto_url

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        env.update({"PYTHONPATH": os.pathsep.join(["shared", "."]), "PYTHONUNBUFFERED": "1", "PORT": str(self.port),
                    "MOTO_PORT": str(self.moto_port), "DYNAMODB_PORT": str(self.dynamodb_port),
                    "STRIPE_PORT": str(self.stripe_port), "SOUK_LOCAL_DIR": str(self.local_dir)})  # fmt: skip
        env.update(self.extra_env)
        return env

    def start(self) -> RunnerProcess:
        self.local_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.local_dir / f"runner-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "infra.local.runner"], cwd=ROOT, env=self.env(),
                                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"the runner exited with {self.process.returncode}:\n{self.output()}")
            try:
                if http("GET", f"{self.base_url}/api/health").status == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.25)
        self.kill()
        pytest.fail(f"the runner was not healthy within {STARTUP_TIMEOUT:.0f} s:\n{self.output()}")

    def stop(self) -> int:
        """Ctrl-C, as a developer would; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the runner did not stop within 30 s of SIGINT:\n{self.output()}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def client(self, service: str) -> Any:
        """A boto3 client on the runner's local AWS (moto, or DynamoDB Local for dynamodb)."""
        endpoint = self.dynamodb_url if service == "dynamodb" else self.moto_url
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local",
                            aws_secret_access_key="local")  # fmt: skip


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunnerProcess]:
    """One runner for a test module, stopped with SIGINT at the end; it must exit cleanly."""
    process = RunnerProcess(tmp_path_factory.mktemp("souk-local")).start()
    try:
        yield process
    finally:
        code = process.stop()
        assert code == 0, f"the runner exited with {code}:\n{process.output()}"
        assert "Stopped after" in process.output(), process.output()
