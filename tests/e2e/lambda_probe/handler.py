"""A test-only function for the runner's execution environments; tests/e2e/runner_template.yaml declares it.

``?do=`` picks what it does: ``env`` (default) answers what the environment looks like,
``raise`` raises, ``exit`` ends the process, ``sleep`` sleeps ``seconds`` first (having
written its pid to the file ``marker`` names, if any).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from typing import Any

IMPORTED_AT = time.time()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    query = event.get("queryStringParameters") or {}
    action = query.get("do", "env")
    if action == "raise":
        raise RuntimeError("the probe was asked to fail")
    if action == "exit":
        os._exit(3)
    if action == "sleep":
        if query.get("marker"):  # tells a test, through a file, that the invocation is under way
            with open(query["marker"], "w", encoding="utf-8") as marker:
                marker.write(str(os.getpid()))
        time.sleep(float(query.get("seconds", "1")))
    body = {
        "pid": os.getpid(),
        "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "requestId": context.aws_request_id,
        "mark": os.environ.get("SOUK_PROBE_MARK"),
        "table": os.environ.get("TABLE_NAME"),
        "stage": os.environ.get("SOUK_STAGE"),
        "remainingMs": context.get_remaining_time_in_millis(),
        "importedAt": IMPORTED_AT,
        "soukLoaded": "souk" in sys.modules,
        "infraImportable": importlib.util.find_spec("infra") is not None,
        "testsImportable": importlib.util.find_spec("tests") is not None,
        "soukImportable": importlib.util.find_spec("souk") is not None,
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
