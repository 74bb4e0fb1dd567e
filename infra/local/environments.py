"""Lambda execution environments for the local runner: a process per environment, one event at a time.

Each function of the template gets environments of its own, as in Lambda: a process that
imports the handler once (its init, timed and reported like Lambda's ``Init Duration``)
with that function's environment variables, then handles one event at a time. A request
that finds every environment of its function busy starts another (a cold start) up to a
per-function cap; above it the request waits for one to free up, within a bound. A total
cap on live environments evicts the least recently used idle one.

Like Lambda's Python runtime, an exception raised by the handler is the invocation's
error and the environment lives on; a timeout (the function's ``Timeout``) or a process
that dies resets it: it is killed, and the next request starts a new one.

Every invocation is logged as Lambda's ``REPORT`` line. API routes, queue consumers and
schedules all go through the same pool.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra import template
from infra.local.lambda_runtime import HEADER, send_frame

RUNTIME = Path(__file__).with_name("lambda_runtime.py")
LAYER_DIR = template.ROOT / "shared"

PER_FUNCTION_VARIABLE, TOTAL_VARIABLE = "SOUK_ENVIRONMENTS_PER_FUNCTION", "SOUK_ENVIRONMENTS_TOTAL"
DEFAULT_PER_FUNCTION = 4
# ~100 MB each once the layer is imported: 48 stay under 5 GB.
DEFAULT_TOTAL = 48
# Lambda gives a function's init 10 s; a timed-out init is retried within the invoke's Timeout.
INIT_SECONDS = 10.0
# How long a queue batch or a schedule waits for a free environment before it counts as throttled.
BACKGROUND_WAIT_SECONDS = 60.0

# From the runner's own environment: what a process needs to start, nothing of the developer's shell.
_PROCESS_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


class FunctionError(RuntimeError):
    """A queue batch or schedule invocation that failed (error, timeout, throttle), as Lambda reports it."""


@dataclass(frozen=True)
class FunctionSpec:
    """What an environment of one function needs: its code, handler, variables and limits."""

    name: str  # the logical id, also AWS_LAMBDA_FUNCTION_NAME locally
    code_dir: Path
    handler: str  # module.function, e.g. handler.lambda_handler
    environment: dict[str, str] = field(hash=False, compare=False)
    timeout: float = 3.0  # seconds
    memory_mb: int = 128

    @classmethod
    def of(cls, function: template.Function, variables: Mapping[str, str]) -> FunctionSpec:
        """The spec of a template function, its environment built on ``variables`` (template + local)."""
        timeout = float(template.function_setting(function, "Timeout", 3))
        memory = int(template.function_setting(function, "MemorySize", 128))
        environment = lambda_environment(function.logical_id, function.handler, memory, variables)
        code_dir = template.ROOT / function.code_uri
        return cls(function.logical_id, code_dir, function.handler, environment, timeout, memory)


def lambda_environment(name: str, handler: str, memory_mb: int, variables: Mapping[str, str]) -> dict[str, str]:
    """``variables`` plus what the Lambda runtime itself sets, over a bare process environment."""
    base = {key: os.environ[key] for key in _PROCESS_VARIABLES if key in os.environ}
    runtime = {
        "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb), "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "_HANDLER": handler, "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",  # log lines reach the runner's terminal in order
        # Powertools warns on every invocation that records no metric: noise for a developer.
        "PYTHONWARNINGS": "ignore:No application metrics to publish",
    }  # fmt: skip
    return {**base, **variables, **runtime}


@dataclass
class Invocation:
    """How one invocation went: ``ok``, ``error`` (raised, crashed, bad init), ``timeout``,
    ``throttled`` (no environment in time) or ``gateway_timeout`` (the API gave up first)."""

    function: str
    request_id: str
    outcome: str
    payload: Any = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def describe(self) -> str:
        if self.error:
            return f"{self.error.get('errorType')}: {self.error.get('errorMessage')}"
        return self.outcome


class _Spawner(threading.Thread):
    """Starts every environment process from one long-lived thread.

    The kernel's parent-death signal follows the thread that forked the child, not the
    process; request threads come and go, so none of them may be that thread.
    """

    def __init__(self) -> None:
        super().__init__(name="environment-spawner", daemon=True)
        self._jobs: queue.Queue[tuple[list[str], dict[str, Any], Future[subprocess.Popen[bytes]]] | None] = (
            queue.Queue()
        )

    def spawn(self, argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
        done: Future[subprocess.Popen[bytes]] = Future()
        self._jobs.put((argv, options, done))
        return done.result()

    def stop(self) -> None:
        self._jobs.put(None)

    def run(self) -> None:
        while (job := self._jobs.get()) is not None:
            argv, options, done = job
            try:
                done.set_result(subprocess.Popen(argv, **options))  # noqa: S603 - our own argv, no shell
            except BaseException as exc:  # handed to the waiting thread
                done.set_exception(exc)


_TIMED_OUT = object()


class Environment:
    """One execution environment: a runtime process and the socket the runner talks to it on."""

    def __init__(self, spec: FunctionSpec, number: int) -> None:
        self.spec = spec
        self.number = number
        self.process: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self._lifeline = -1
        self.busy = True
        self.last_used = time.monotonic()
        self.init_ms: float | None = None
        self.max_memory_mb = 0
        self._buffer = bytearray()
        self._kill_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, spawner: _Spawner, deadline: float) -> dict[str, Any] | None:
        """Start the process and wait for its init: None when ready, else the error to answer with."""
        ours, theirs = socket.socketpair()
        lifeline_read, self._lifeline = os.pipe()
        try:
            argv = [sys.executable, str(RUNTIME), str(theirs.fileno()), str(lifeline_read), str(os.getpid()),
                    str(self.spec.code_dir), str(LAYER_DIR)]  # fmt: skip
            self.process = spawner.spawn(argv, env=self.spec.environment, cwd=self.spec.code_dir,
                                         stdin=subprocess.DEVNULL,
                                         pass_fds=(theirs.fileno(), lifeline_read))  # fmt: skip
        finally:
            theirs.close()
            os.close(lifeline_read)
        self.sock = ours
        ready = self.receive(deadline)
        if ready is _TIMED_OUT:
            return {"errorType": "Runtime.InitTimeout", "errorMessage": "Init timed out.", "timedOut": True}
        if ready is None:
            return {"errorType": "Runtime.ExitError", "errorMessage": self._exit_message()}
        assert isinstance(ready, dict)
        self.init_ms = float(ready.get("initMs") or 0.0)
        if ready.get("type") != "ready":
            return ready
        self.max_memory_mb = int(ready.get("maxMemoryMb") or 0)
        return None

    def send(self, event: Any, request_id: str, deadline_ms: int) -> bool:
        """Hand the event over; False when the process is gone."""
        assert self.sock is not None
        try:
            send_frame(self.sock, {"type": "invoke", "event": event, "requestId": request_id,
                                   "deadlineMs": deadline_ms})  # fmt: skip
        except OSError:
            return False
        return True

    def receive(self, deadline: float) -> dict[str, Any] | object | None:
        """The next frame; ``_TIMED_OUT`` at ``deadline`` (monotonic); None when the process died.

        A frame cut by the deadline stays buffered: a later call (after API Gateway gave up
        waiting) still reads the whole reply.
        """
        assert self.sock is not None
        while True:
            if len(self._buffer) >= HEADER.size:
                size = HEADER.unpack_from(self._buffer)[0]
                if len(self._buffer) >= HEADER.size + size:
                    data = bytes(self._buffer[HEADER.size : HEADER.size + size])
                    del self._buffer[: HEADER.size + size]
                    return dict(json.loads(data))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _TIMED_OUT
            try:
                self.sock.settimeout(remaining)
                chunk = self.sock.recv(1 << 20)
            except TimeoutError:
                return _TIMED_OUT
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk

    def _exit_message(self) -> str:
        try:
            code = self.process.wait(timeout=5) if self.process else None
        except subprocess.TimeoutExpired:
            return "Runtime closed its connection"
        return f"Runtime exited with error: {f'signal {-code}' if code and code < 0 else f'exit status {code}'}"

    def exit_error(self) -> dict[str, Any]:
        return {"errorType": "Runtime.ExitError", "errorMessage": self._exit_message()}

    def kill(self) -> None:
        """SIGKILL, as Lambda resets an environment; safe to call twice, from any thread."""
        with self._kill_lock:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
            if self.process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=5)
            if self.sock is not None:
                self.sock.close()
            if self._lifeline >= 0:
                os.close(self._lifeline)
                self._lifeline = -1


@dataclass
class PoolStats:
    cold_starts: int = 0
    invocations: int = 0
    errors: int = 0
    timeouts: int = 0
    throttles: int = 0
    evictions: int = 0


class Throttled(Exception):
    """No environment of the function became free in time."""


class EnvironmentPool:
    """Every function's execution environments, capped per function and in total."""

    def __init__(self, specs: Mapping[str, FunctionSpec], *, per_function: int = DEFAULT_PER_FUNCTION,
                 total: int = DEFAULT_TOTAL, log: Callable[[str], None] = print) -> None:  # fmt: skip
        if per_function < 1 or total < 1:
            raise ValueError("environment caps must be at least 1")
        self.specs = dict(specs)
        self.per_function, self.total, self.log = per_function, total, log
        self.stats = PoolStats()
        self._live: dict[str, list[Environment]] = {name: [] for name in self.specs}
        self._changed = threading.Condition()
        self._numbers = iter(range(1, 1 << 62))
        self._closed = False
        self._spawner = _Spawner()
        self._spawner.start()

    @classmethod
    def from_env(cls, specs: Mapping[str, FunctionSpec], env: Mapping[str, str] = os.environ,
                 log: Callable[[str], None] = print) -> EnvironmentPool:  # fmt: skip
        """Caps from ``SOUK_ENVIRONMENTS_PER_FUNCTION`` and ``SOUK_ENVIRONMENTS_TOTAL``."""
        return cls(specs, per_function=int(env.get(PER_FUNCTION_VARIABLE) or DEFAULT_PER_FUNCTION),
                   total=int(env.get(TOTAL_VARIABLE) or DEFAULT_TOTAL), log=log)  # fmt: skip

    # ------------------------------------------------------------------ invoking
    def invoke(self, name: str, event: Any, *, wait: float = BACKGROUND_WAIT_SECONDS,
               gateway_timeout: float | None = None) -> Invocation:  # fmt: skip
        """Run ``event`` through an environment of function ``name``; never raises for the function's failures.

        ``wait`` bounds the wait for a free environment; ``gateway_timeout`` is how long the
        caller (API Gateway) waits in all, counted from now: past it the answer is
        ``gateway_timeout`` while the function runs on until its own Timeout.
        """
        spec = self.specs[name]
        request_id = str(uuid.uuid4())
        arrived = time.monotonic()
        try:
            env, cold = self._acquire(spec, arrived + wait)
        except Throttled:
            self.stats.throttles += 1
            self.log(f"{name}: throttled: {self.per_function} environments busy for {wait:.0f}s "
                     f"({PER_FUNCTION_VARIABLE}={self.per_function})")  # fmt: skip
            return Invocation(name, request_id, "throttled")
        if cold:
            self.stats.cold_starts += 1
            failure = env.start(self._spawner, time.monotonic() + INIT_SECONDS + spec.timeout)
            if failure is not None:
                return self._settle(env, request_id, 0.0, None, failure=failure, cold=True)
        return self._run(env, event, request_id, cold, gateway_timeout, arrived)

    def call(self, name: str, event: Any) -> Any:
        """The function's result for a queue batch or schedule; :class:`FunctionError` when it failed."""
        invocation = self.invoke(name, event)
        if not invocation.ok:
            raise FunctionError(invocation.describe())
        return invocation.payload

    def _run(self, env: Environment, event: Any, request_id: str, cold: bool, gateway_timeout: float | None,
             arrived: float) -> Invocation:  # fmt: skip
        spec = env.spec
        started = time.monotonic()
        deadline = started + spec.timeout
        if not env.send(event, request_id, int((time.time() + spec.timeout) * 1000)):
            return self._settle(env, request_id, 0.0, None, failure=env.exit_error(), cold=cold)
        answer_by = deadline if gateway_timeout is None else min(deadline, arrived + gateway_timeout)
        reply = env.receive(answer_by)
        if reply is _TIMED_OUT and answer_by < deadline:
            # API Gateway stops waiting; the function does not, as in AWS.
            threading.Thread(target=self._finish, args=(env, request_id, started, deadline, cold),
                             name=f"finish-{spec.name}", daemon=True).start()  # fmt: skip
            return Invocation(spec.name, request_id, "gateway_timeout")
        return self._settle(env, request_id, started, reply, cold=cold)

    def _finish(self, env: Environment, request_id: str, started: float, deadline: float, cold: bool) -> None:
        self._settle(env, request_id, started, env.receive(deadline), cold=cold)

    def _settle(self, env: Environment, request_id: str, started: float, reply: Any, *,
                failure: dict[str, Any] | None = None, cold: bool) -> Invocation:  # fmt: skip
        """Log the REPORT line, release or reset the environment, and say how it went."""
        spec = env.spec
        self.stats.invocations += 1
        status = ""
        if failure is None and reply is _TIMED_OUT:
            self.log(f"{spec.name} {request_id} Task timed out after {spec.timeout:.2f} seconds")
            failure = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out.", "timedOut": True}
        elif failure is None and reply is None:
            failure = env.exit_error()
        duration = (time.monotonic() - started) * 1000 if started else 0.0
        if failure is None and isinstance(reply, dict):
            duration = float(reply.get("durationMs") or duration)
            env.max_memory_mb = int(reply.get("maxMemoryMb") or env.max_memory_mb)
        if failure is not None:
            timed_out = bool(failure.pop("timedOut", False))
            self.stats.timeouts += timed_out
            self.stats.errors += not timed_out
            status = " Status: timeout" if timed_out else f" Status: error Error Type: {failure.get('errorType')}"
            self.log(f"{spec.name} {request_id} {failure.get('errorType')}: {failure.get('errorMessage')}")
            self._discard(env)
            outcome, payload, error = ("timeout" if timed_out else "error"), None, failure
        elif isinstance(reply, dict) and reply.get("type") == "error":
            # The handler raised: the runtime reported it and the environment lives on.
            self.stats.errors += 1
            status = f" Status: error Error Type: {reply.get('errorType')}"
            self._release(env)
            error = {k: reply.get(k) for k in ("errorType", "errorMessage", "stackTrace")}
            outcome, payload = "error", None
        else:
            self._release(env)
            outcome, payload, error = "ok", reply.get("payload") if isinstance(reply, dict) else None, None
        init = f" Init Duration: {env.init_ms:.2f} ms" if cold and env.init_ms is not None else ""
        self.log(f"REPORT {spec.name} RequestId: {request_id} Duration: {duration:.2f} ms "
                 f"Billed Duration: {max(1, math.ceil(duration))} ms Memory Size: {spec.memory_mb} MB "
                 f"Max Memory Used: {env.max_memory_mb} MB{init}{status}")  # fmt: skip
        return Invocation(spec.name, request_id, outcome, payload, error)

    # ------------------------------------------------------------------ the pool
    def _acquire(self, spec: FunctionSpec, wait_until: float) -> tuple[Environment, bool]:
        """A free warm environment of ``spec`` (False), or a new one to start (True)."""
        evicted: list[Environment] = []
        try:
            with self._changed:
                while True:
                    if self._closed:
                        raise Throttled
                    mine = self._live[spec.name]
                    idle = [env for env in mine if not env.busy]
                    if idle:
                        env = max(idle, key=lambda e: e.last_used)  # the warmest; the others age out
                        env.busy = True
                        return env, False
                    if len(mine) < self.per_function and self._make_room(evicted):
                        env = Environment(spec, next(self._numbers))
                        mine.append(env)
                        return env, True
                    remaining = wait_until - time.monotonic()
                    if remaining <= 0:
                        raise Throttled
                    self._changed.wait(remaining)
        finally:
            for env in evicted:
                env.kill()

    def _make_room(self, evicted: list[Environment]) -> bool:
        """Under the lock: True when one more environment fits, evicting the least recently used idle one."""
        live = sum(len(envs) for envs in self._live.values())
        if live < self.total:
            return True
        idle = [env for envs in self._live.values() for env in envs if not env.busy]
        if not idle:
            return False
        victim = min(idle, key=lambda e: e.last_used)
        self._live[victim.spec.name].remove(victim)
        self.stats.evictions += 1
        evicted.append(victim)
        self.log(f"{victim.spec.name}: environment {victim.number} evicted, least recently used "
                 f"({live} live, {TOTAL_VARIABLE}={self.total})")  # fmt: skip
        return True

    def _release(self, env: Environment) -> None:
        with self._changed:
            env.busy = False
            env.last_used = time.monotonic()
            self._changed.notify_all()

    def _discard(self, env: Environment) -> None:
        """Reset: the environment is killed; the next request for its function starts a new one."""
        with self._changed:
            if env in self._live[env.spec.name]:
                self._live[env.spec.name].remove(env)
            self._changed.notify_all()
        env.kill()

    def environments(self) -> Iterator[tuple[str, int | None, bool]]:
        """(function, pid, busy) of every live environment."""
        with self._changed:
            snapshot = [(env.spec.name, env.pid, env.busy) for envs in self._live.values() for env in envs]
        yield from snapshot

    def close(self) -> None:
        """Kill every environment, busy or not; the pool answers nothing afterwards."""
        with self._changed:
            self._closed = True
            doomed = [env for envs in self._live.values() for env in envs]
            for envs in self._live.values():
                envs.clear()
            self._changed.notify_all()
        for env in doomed:
            env.kill()
        self._spawner.stop()
