"""The runner's execution environments, seen from outside: processes, variables, caps, failures.

Test-only functions (tests/e2e/runner_template.yaml, served through SOUK_EXTRA_TEMPLATE,
never deployed) answer with what their environment looks like, raise, exit or sleep.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from infra.local import stackfile
from infra.template import ROOT
from tests.e2e.conftest import Reply, RunnerProcess, http, wait_for

pytestmark = pytest.mark.e2e

EXTRA = {"SOUK_EXTRA_TEMPLATE": str(ROOT / "tests" / "e2e" / "runner_template.yaml"),
         "SOUK_ENVIRONMENTS_PER_FUNCTION": "2", "SOUK_DYNAMODB": "moto"}  # fmt: skip
SEEN_PIDS: set[int] = set()


def alive(pid: int) -> bool:
    return stackfile.pid_alive(pid) and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunnerProcess]:
    """A runner serving the probe functions too; once stopped, no environment it started is left."""
    runner = RunnerProcess(tmp_path_factory.mktemp("souk-probes"), extra_env=EXTRA).start()
    try:
        yield runner
    finally:
        code = runner.stop()
        assert code == 0, f"the runner exited with {code}:\n{runner.output()}"
        assert [pid for pid in SEEN_PIDS if alive(pid)] == [], "environments outlived the runner"
        assert not stackfile.path(runner.local_dir).exists(), "a clean stop removes stack.json"


def probe(runner: RunnerProcess, query: str = "", path: str = "/api/_probe") -> Reply:
    reply = http("GET", runner.url(f"{path}?{query}" if query else path))
    if reply.status == 200:
        SEEN_PIDS.add(int(reply.json["pid"]))
    return reply


def assert_envelope(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, (reply.status, reply.body[:300])
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json["success"] is False and reply.json["error"]["code"] == code
    assert reply.json["meta"]["requestId"] == reply.headers["X-Request-Id"]


def report_line(runner: RunnerProcess, request_id: str) -> str:
    line = wait_for(lambda: next((x for x in runner.output().splitlines() if f"RequestId: {request_id} " in x), ""))
    assert line, runner.output()[-3000:]
    return str(line)


def test_each_function_has_its_own_process_and_variables(probes: RunnerProcess) -> None:
    # WHEN two functions sharing one handler file answer
    fast, slow = probe(probes).json, probe(probes, path="/api/_probe/slow").json
    # THEN each ran in a process of its own, neither of them the runner
    assert len({fast["pid"], slow["pid"], probes.process.pid if probes.process else 0}) == 3
    # with its own Lambda variables and its own Environment from the template, over the Globals
    assert (fast["function"], fast["mark"]) == ("ProbeFunction", "probe")
    assert (slow["function"], slow["mark"]) == ("SlowProbeFunction", "slow")
    assert fast["table"] == slow["table"] == "souk-local-table" and fast["stage"] == "local"
    # and its own Timeout on the context
    assert 0 < fast["remainingMs"] <= 2000 < slow["remainingMs"] <= 8000
    # and, as in AWS, only its code and the layer to import: not the runner, not the tests
    assert (fast["soukImportable"], fast["infraImportable"], fast["testsImportable"]) == (True, False, False)
    assert fast["soukLoaded"] is False  # nothing preloaded: a handler's imports are its own init


def test_a_warm_environment_is_reused_and_only_the_cold_start_reports_an_init(probes: RunnerProcess) -> None:
    # GIVEN a function no other test calls: its first request is a cold start
    first = probe(probes, path="/api/_probe/warm").json
    # WHEN it is called again, after the first answer
    second = probe(probes, path="/api/_probe/warm").json
    # THEN the same process answered, its module imported once
    assert (second["pid"], second["importedAt"]) == (first["pid"], first["importedAt"])
    # and each invocation has Lambda's REPORT line, the cold one with its Init Duration
    cold, warm = report_line(probes, first["requestId"]), report_line(probes, second["requestId"])
    shape = (r"^\d\d:\d\d:\d\d REPORT WarmProbeFunction RequestId: \S+ Duration: [\d.]+ ms Billed Duration: \d+ ms "
             r"Memory Size: 512 MB Max Memory Used: \d+ MB")  # fmt: skip
    assert re.match(shape + r" Init Duration: [\d.]+ ms$", cold), cold
    assert re.match(shape + "$", warm), warm


def test_parallel_requests_get_environments_of_their_own_up_to_the_cap(probes: RunnerProcess) -> None:
    # WHEN 5 requests that each keep their environment busy for a second arrive at once (cap: 2)
    with ThreadPoolExecutor(max_workers=5) as pool:
        replies = list(pool.map(lambda i: probe(probes, f"do=sleep&seconds=1&n={i}"), range(5)))
    # THEN all were answered, by exactly 2 processes: the ones above the cap waited for a free one
    assert [reply.status for reply in replies] == [200] * 5, [reply.body[:200] for reply in replies]
    assert len({reply.json["pid"] for reply in replies}) == 2


def test_a_handler_that_raises_is_a_502_envelope_and_the_next_request_works(probes: RunnerProcess) -> None:
    # WHEN the handler raises
    assert_envelope(probe(probes, "do=raise"), 502, "INTERNAL_ERROR")
    # THEN the traceback is in the runner's log, and the function answers the next request
    assert "RuntimeError: the probe was asked to fail" in probes.output()
    assert probe(probes).status == 200


def test_a_process_that_dies_is_a_502_envelope_and_is_replaced(probes: RunnerProcess) -> None:
    # GIVEN the environment a lone request reaches (the most recently used one)
    before = probe(probes).json["pid"]
    # WHEN its process exits in the middle of an invocation
    assert_envelope(probe(probes, "do=exit"), 502, "INTERNAL_ERROR")
    # THEN it is gone, Lambda's error is logged, and a new environment answers next
    assert wait_for(lambda: not alive(before), timeout=5)
    assert "Runtime.ExitError: Runtime exited with error: exit status 3" in probes.output()
    assert probe(probes).json["pid"] != before


def test_the_functions_timeout_is_a_502_envelope_and_the_environment_is_replaced(probes: RunnerProcess) -> None:
    # GIVEN the environment a lone request reaches, of a function whose Timeout is 2 s
    before = probe(probes).json["pid"]
    # WHEN an invocation outlasts the Timeout (API Gateway still waits: its 29 s are not up)
    reply = probe(probes, "do=sleep&seconds=4")
    # THEN Lambda's timeout answers as API Gateway does for a failed Lambda, and the environment is reset
    assert_envelope(reply, 502, "INTERNAL_ERROR")
    assert "Task timed out after 2.00 seconds" in probes.output()
    assert wait_for(lambda: not alive(before), timeout=5)
    assert probe(probes).json["pid"] != before


def test_the_routes_integration_timeout_is_a_504_envelope_while_the_function_runs_on(probes: RunnerProcess) -> None:
    # GIVEN a route API Gateway waits 1.5 s for (TimeoutInMillis), whose function may run 8 s
    reports = probes.output().count("REPORT SlowProbeFunction")
    # WHEN the function takes 3 s
    reply = probe(probes, "do=sleep&seconds=3", path="/api/_probe/slow")
    # THEN API Gateway's 504 in the envelope, and the invocation still ends normally afterwards
    assert_envelope(reply, 504, "SERVICE_UNAVAILABLE")
    finished = wait_for(lambda: probes.output().count("REPORT SlowProbeFunction") > reports, timeout=10)
    assert finished, probes.output()[-2000:]
    last = [x for x in probes.output().splitlines() if "REPORT SlowProbeFunction" in x][-1]
    assert "Status:" not in last
    assert probe(probes, path="/api/_probe/slow").status == 200


@pytest.mark.parametrize("method", ["TRACE", "FOO", "PROPFIND"])
@pytest.mark.parametrize("path", ["/api/health", "/api/v1/addresses", "/api/_probe"])
def test_unknown_methods_are_the_contracts_404(probes: RunnerProcess, method: str, path: str) -> None:
    assert_envelope(http(method, probes.url(path)), 404, "NOT_FOUND")


def test_the_stack_file_says_what_runs_where(probes: RunnerProcess) -> None:
    stack = stackfile.read(probes.local_dir)
    assert stack is not None and probes.process is not None
    assert stack["pid"] == probes.process.pid and stack["apiUrl"] == probes.base_url
    assert stack["ports"] == {"api": probes.port, "moto": probes.moto_port, "dynamodb": None,
                              "stripe": probes.stripe_port}  # fmt: skip
    assert stack["endpoints"]["dynamodb"] == probes.moto_url  # SOUK_DYNAMODB=moto
    assert stack["table"] == "souk-local-table" and set(stack["buckets"]) == {"UploadsBucket", "ExportsBucket"}
    assert stack["queues"]["EmailQueue"].startswith(probes.moto_url)
    assert stack["localDir"] == str(probes.local_dir)


def test_a_killed_runner_leaves_no_environment_behind(tmp_path: Path) -> None:
    # GIVEN a runner with environments, one of them busy with a 5 s invocation
    runner = RunnerProcess(tmp_path, extra_env=EXTRA).start()
    marker = tmp_path / "sleeping"
    try:
        pids = {probe(runner).json["pid"], probe(runner, path="/api/_probe/slow").json["pid"]}
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(probe, runner, f"do=sleep&seconds=5&marker={quote(str(marker))}", "/api/_probe/slow")
            assert wait_for(lambda: marker.exists() and marker.read_text(), timeout=10), runner.output()[-2000:]
            pids.add(int(marker.read_text()))
            # WHEN the runner dies without any chance to clean up
            assert runner.process is not None
            os.kill(runner.process.pid, signal.SIGKILL)
            runner.process.wait(timeout=10)
    finally:
        runner.kill()
    # THEN every environment ends with it, the busy one included
    assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=10), [p for p in pids if alive(p)]
    # AND its stack.json, left behind, no longer counts as a running stack
    assert stackfile.path(tmp_path).exists() and stackfile.read(tmp_path) is None
