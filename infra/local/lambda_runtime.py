"""The runtime inside one local execution environment: init the handler once, then one event at a time.

:mod:`infra.local.environments` starts this file as a script, in a fresh interpreter with
the function's environment (never the runner's), and talks to it over one socket with
length-prefixed JSON frames, as Lambda's runtime API carries JSON events and results:

    runtime -> runner   {"type": "ready", "initMs": ...} | {"type": "initError", ...}
    runner  -> runtime  {"type": "invoke", "event": ..., "requestId": ..., "deadlineMs": ...}
    runtime -> runner   {"type": "result", "payload": ..., "durationMs": ..., "maxMemoryMb": ...}
                      | {"type": "error", "errorType": ..., "errorMessage": ..., "stackTrace": [...], ...}

Only the standard library is imported before the handler, so the handler's own imports
(souk, pydantic, Powertools, boto3) happen here and are its init, as in Lambda. The
import path is the function's code folder, then the layer (``shared/``), then the
interpreter's own: neither ``infra`` nor ``tests`` is importable, as in AWS.

The environment never outlives the runner: the kernel signals it when the runner's
spawning thread dies (``PR_SET_PDEATHSIG``), and a thread exits it as soon as the
runner's end of a lifeline pipe closes (any exit of the runner, even ``kill -9``).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any

HEADER = struct.Struct("!I")
PR_SET_PDEATHSIG = 1


def send_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    sock.sendall(HEADER.pack(len(data)) + data)


def recv_exact(sock: socket.socket, size: int) -> bytes | None:
    """``size`` bytes, or None when the other end closed first."""
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket) -> dict[str, Any] | None:
    header = recv_exact(sock, HEADER.size)
    if header is None:
        return None
    data = recv_exact(sock, HEADER.unpack(header)[0])
    return None if data is None else dict(json.loads(data))


class Context:
    """The Lambda context object, with the fields the Python runtime gives it."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = f"arn:aws:lambda:{env.get('AWS_REGION', 'us-east-1')}:000000000000:function:" + (
            self.function_name
        )
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = request_id
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """The error shape Lambda reports for an unhandled exception."""
    return {"errorType": error_type or type(exc).__name__, "errorMessage": str(exc),
            "stackTrace": traceback.format_exception(exc)}  # fmt: skip


def _die_with_the_runner(parent_pid: int, lifeline_fd: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the runner died before prctl took effect
        os._exit(1)

    def watch() -> None:
        try:
            while os.read(lifeline_fd, 1):
                pass
        finally:
            os._exit(1)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _import_path(code_dir: str, layer_dir: str) -> None:
    """Lambda's order: the function's code, the layer, then the runtime's own packages."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    dropped = {"", here, root, os.path.abspath(code_dir), os.path.abspath(layer_dir)}
    sys.path[:] = [code_dir, layer_dir] + [p for p in sys.path if os.path.abspath(p or ".") not in dropped and p]


def _max_memory_mb() -> int:
    """Peak resident memory of this environment, like Lambda's ``Max Memory Used``."""
    try:
        # Linux: the peak of this process image (ru_maxrss would include the runner's, from before exec).
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024))  # macOS: bytes


def serve(sock: socket.socket, handler_name: str) -> None:
    """Init (import the handler module), then answer invokes until the runner closes the socket."""
    module_name, _, function_name = handler_name.rpartition(".")
    started = time.perf_counter()

    def failed(exc: BaseException, kind: str | None) -> None:
        send_frame(sock, {"type": "initError", **_error(exc, kind), "initMs": (time.perf_counter() - started) * 1000})

    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # reported as Lambda reports a failed init, SystemExit included
        failed(exc, "Runtime.ImportModuleError" if isinstance(exc, ImportError) else None)
        return
    handler = getattr(module, function_name, None)
    if not callable(handler):
        missing = AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
        failed(missing, "Runtime.HandlerNotFound")
        return
    send_frame(sock, {"type": "ready", "initMs": (time.perf_counter() - started) * 1000,
                      "maxMemoryMb": _max_memory_mb()})  # fmt: skip
    while True:
        message = recv_frame(sock)
        if message is None:
            return
        context = Context(str(message["requestId"]), int(message["deadlineMs"]))
        began = time.perf_counter()
        try:
            reply: dict[str, Any] = {"type": "result", "payload": handler(message["event"], context)}
        except Exception as exc:  # an unhandled error is the invocation's answer
            reply = {"type": "error", **_error(exc)}
            # Lambda's runtime logs the unhandled error, traceback included.
            print(f"[ERROR] {reply['errorType']}: {reply['errorMessage']}", "".join(reply["stackTrace"]), sep="\n",
                  file=sys.stderr)  # fmt: skip
        reply.update(durationMs=(time.perf_counter() - began) * 1000, maxMemoryMb=_max_memory_mb())
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            send_frame(sock, reply)
        except (TypeError, ValueError) as exc:  # a result that is not JSON, as Lambda refuses it
            send_frame(sock, {**reply, "type": "error", "payload": None, **_error(exc, "Runtime.MarshalError")})


def main(argv: list[str]) -> None:
    """``lambda_runtime.py <socket fd> <lifeline fd> <runner pid> <code dir> <layer dir>``; ``_HANDLER`` names it."""
    sock_fd, lifeline_fd, parent_pid = int(argv[0]), int(argv[1]), int(argv[2])
    _die_with_the_runner(parent_pid, lifeline_fd)
    _import_path(argv[3], argv[4])
    os.chdir(argv[3])
    # Ctrl-C in the runner's terminal reaches the whole process group: the runner stops us itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=sock_fd)
    try:
        serve(sock, os.environ["_HANDLER"])
    finally:
        sys.stdout.flush()
        sock.close()


if __name__ == "__main__":
    main(sys.argv[1:])
