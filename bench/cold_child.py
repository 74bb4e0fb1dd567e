"""One cold start, run by :mod:`bench.cold` in a fresh interpreter (``python -I -B``).

Loads a module by file path under its own name, as Lambda's runtime loads
``handler.py`` from /var/task with the layer in /opt/python, then hands it one event
and prints what it cost. Only the standard library is imported before the clock starts,
so every third-party import is on the clock, as on a real cold start.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from typing import Any

MARKER = "BENCH-RESULT "
# The floor: no Python Lambda that talks to DynamoDB starts with less than this.
FLOOR_CODE = "import boto3\nboto3.client('dynamodb')\n"


class Context:
    """The Lambda context attributes Powertools and Mangum read."""

    def __init__(self, function_name: str, memory_limit_in_mb: int = 512) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = "00000000-0000-4000-8000-000000000000"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _load(name: str, path: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _status(result: Any) -> str:
    if isinstance(result, dict) and "statusCode" in result:
        return str(result["statusCode"])
    if isinstance(result, dict) and "batchItemFailures" in result:
        return f"{len(result['batchItemFailures'])} failed"
    return "ok"


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    sys.path[:0] = spec["sys_path"]
    before = set(sys.modules)
    cpu_started = time.process_time()
    started = time.perf_counter()
    status = "-"
    if spec["kind"] == "floor":
        exec(compile(FLOOR_CODE, "<floor>", "exec"), {})  # noqa: S102 - a constant of this file
        imported, import_cpu = time.perf_counter(), time.process_time()
        called = imported
    else:
        module = _load(spec["module_name"], spec["file"])
        imported, import_cpu = time.perf_counter(), time.process_time()
        result = getattr(module, spec["handler"])(spec["event"], Context(**spec["context"]))
        called = time.perf_counter()
        status = _status(result)
    cpu_ended = time.process_time()
    new = set(sys.modules) - before
    report = {
        "import_ms": (imported - started) * 1000,
        "call_ms": (called - imported) * 1000,
        "total_ms": (called - started) * 1000,
        "cpu_ms": (cpu_ended - cpu_started) * 1000,
        "import_cpu_ms": (import_cpu - cpu_started) * 1000,
        "modules": len(new),
        "packages": sorted({name.split(".")[0] for name in new}),
        "status": status,
    }
    sys.stdout.write("\n" + MARKER + json.dumps(report) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
