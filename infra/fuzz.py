"""`make fuzz`: schemathesis over every operation of /api/openapi.json, through the local runner.

Usage: python -m infra.fuzz [--base-url URL] [--max-examples N] [--seed S] [--roles R,R] [--phases P,P]

Without ``--base-url`` it starts its own runner (`python -m infra.local.runner`) on free
ports with a throwaway local dir, loads the demo accounts (`infra.seed`) and stops it at
the end. Then, for each role in turn (anonymous, customer, store owner, admin), it signs
in through the API and runs schemathesis (its own venv, `.venv-fuzz`) with the checks the
contract cares about: no 5xx, every status documented, every body and content type as
documented. Exit status 0 only when every role's run is clean.

Signing out would end the run's own session, so ``POST /auth/logout`` is fuzzed only
anonymously; every other operation is fuzzed as every role.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infra import template
from infra.template import ROOT

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "st"
DEMO_PASSWORD = "Souk-Demo-Pass-1"  # infra.seed's
ACCOUNTS = {"customer": "amina@souk.example", "store_owner": "karim@souk.example", "admin": "admin@souk.example"}
# Anonymous last: its login attempts must not rate-limit the others' sign-in.
ROLES = ("customer", "store_owner", "admin", "anonymous")
SIGNED_IN_ONLY_EXCLUDED = "/api/v1/auth/logout"
STARTUP_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(method: str, url: str, body: dict[str, object] | None = None) -> tuple[int, dict[str, object]]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - our own URL
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@dataclass
class LocalStack:
    """A runner of our own for the run, on free ports, with its data in a temporary folder."""

    local_dir: Path
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.ports = {name: _free_port() for name in ("PORT", "MOTO_PORT", "DYNAMODB_PORT", "STRIPE_PORT")}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['PORT']}"

    def env(self) -> dict[str, str]:
        """The caller's environment without anything that would point the runner or the seed elsewhere.

        Under pytest, for one, TABLE_NAME names the test table: `infra.seed` would take it for
        a deployed one.
        """
        functions_env = template.load().get("Globals", {}).get("Function", {}).get("Environment", {})
        theirs = {*functions_env.get("Variables", {}), "PORT", "MOTO_PORT", "DYNAMODB_PORT", "JWT_SECRET"}
        env = {k: v for k, v in os.environ.items()
               if k not in theirs and not k.startswith(("AWS_", "STRIPE_", "SENDGRID_", "SOUK_"))}  # fmt: skip
        env.update({k: str(v) for k, v in self.ports.items()})
        env.update({"PYTHONPATH": os.pathsep.join(["shared", "."]), "PYTHONUNBUFFERED": "1",
                    "SOUK_LOCAL_DIR": str(self.local_dir)})  # fmt: skip
        return env

    def start(self) -> LocalStack:
        log = (self.local_dir / "runner.log").open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "infra.local.runner"],  # noqa: S603 - our argv
                                        cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the runner exited with {self.process.returncode}:\n{self.output()}")
            try:
                if _request("GET", f"{self.base_url}/api/health")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the runner was not healthy within {STARTUP_TIMEOUT:.0f} s:\n{self.output()}")

    def output(self) -> str:
        """The runner's log so far (the tail: a failure's cause is at the end)."""
        return (self.local_dir / "runner.log").read_text(errors="replace")[-20000:]

    def seed(self) -> LocalStack:
        """The demo accounts, through the same command a developer runs (`make seed`, via stack.json)."""
        done = subprocess.run([sys.executable, "-m", "infra.seed"], cwd=ROOT, env=self.env(),  # noqa: S603 - our argv
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"make seed failed:\n{done.stdout}\n{done.stderr}")
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def sign_in(base_url: str, role: str) -> str:
    status, payload = _request("POST", f"{base_url}/api/v1/auth/login",
                               {"email": ACCOUNTS[role], "password": DEMO_PASSWORD})  # fmt: skip
    if status != 200:
        raise RuntimeError(f"cannot sign in as {role}: {status} {payload}")
    data = payload["data"]
    assert isinstance(data, dict)
    return str(data["accessToken"])


@dataclass(frozen=True)
class Options:
    max_examples: int
    seed: int
    phases: str
    workers: int
    report_dir: Path


def fuzz_role(base_url: str, role: str, options: Options) -> int:
    """One schemathesis run as ``role``; its exit code (0: every check passed)."""
    command = [str(SCHEMATHESIS), "run", f"{base_url}/api/openapi.json", "--url", base_url,
               "--checks", CHECKS, "--max-examples", str(options.max_examples), "--seed", str(options.seed),
               "--phases", options.phases, "--workers", str(options.workers), "--no-color",
               "--generation-database", "none", "--request-timeout", "30", "--suppress-health-check", "all",
               "--report", "junit", "--report-junit-path", str(options.report_dir / f"{role}.xml")]  # fmt: skip
    if role != "anonymous":
        command += ["--header", f"Authorization: Bearer {sign_in(base_url, role)}",
                    "--exclude-path", SIGNED_IN_ONLY_EXCLUDED]  # fmt: skip
    print(f"\n=== schemathesis as {role} ===", flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603 - our argv, no shell


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a running API (default: start a runner of our own)")
    parser.add_argument("--max-examples", type=int, default=25, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--report-dir", type=Path, default=ROOT / ".local" / "fuzz")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not SCHEMATHESIS.exists():
        print("schemathesis is not installed: run `make fuzz` (it installs .venv-fuzz)", file=sys.stderr)
        return 2
    roles = [role for role in args.roles.split(",") if role]
    unknown = set(roles) - set(ROLES)
    if unknown:
        print(f"unknown roles {sorted(unknown)}; choose from {', '.join(ROLES)}", file=sys.stderr)
        return 2
    args.report_dir.mkdir(parents=True, exist_ok=True)
    options = Options(args.max_examples, args.seed, args.phases, args.workers, args.report_dir)
    scratch = Path(tempfile.mkdtemp(prefix="souk-fuzz-")) if args.base_url is None else None
    stack = LocalStack(scratch) if scratch is not None else None
    try:
        if stack is not None:
            stack.start().seed()
        base_url = args.base_url or (stack.base_url if stack else "")
        results = {role: fuzz_role(base_url, role, options) for role in roles}
    finally:
        if stack is not None:
            stack.stop()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\n" + "\n".join(f"{role:12} {'clean' if code == 0 else f'FAILED (exit {code})'}"
                           for role, code in results.items()))  # fmt: skip
    print(f"JUnit reports in {args.report_dir}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
