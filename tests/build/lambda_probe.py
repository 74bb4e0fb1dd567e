"""Import one built handler the way Lambda's Python 3.12 runtime does; optionally invoke it.

Run by ``test_built_artifact`` as ``python3.12 -I -S lambda_probe.py TASK_ROOT LAYER
MODULE.FUNCTION REPORT [EVENT]``: ``-I -S`` leave only the standard library on ``sys.path``,
so the handler finds nothing but its own folder and the layer's ``python/`` (as on Lambda:
``/var/task``, then ``/opt/python``). Stand-alone on purpose: it must not import the repo.
Writes a JSON report: modules loaded from anywhere else, where ``souk`` came from, and the
handler's answer to the event.
"""

import importlib
import json
import sys
import sysconfig
import time
import uuid


class LambdaContext:
    """The attributes of the context object Lambda passes to a Python handler."""

    def __init__(self, function_name, memory):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/souk/dev/functions"
        self.log_stream_name = "2025/01/01/[$LATEST]probe"
        self._deadline = time.monotonic() + 10

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main():
    task_root, layer, handler_spec, report_path = sys.argv[1:5]
    event_path = sys.argv[5] if len(sys.argv) > 5 else None
    sys.path[:0] = [task_root, layer]
    module_name, attribute = handler_spec.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), attribute)
    paths = sysconfig.get_paths()
    allowed = (task_root, layer, paths["stdlib"], paths["platstdlib"])
    outside = sorted(
        name
        for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None) and not module.__file__.startswith(allowed) and module.__file__ != __file__
    )
    report = {
        "callable": callable(handler),
        "outside": outside,
        "souk": getattr(sys.modules.get("souk"), "__file__", None),
        "sysPath": sys.path,
    }
    if event_path:
        import os

        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
        memory = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        context = LambdaContext(os.environ["AWS_LAMBDA_FUNCTION_NAME"], memory)
        report["response"] = handler(event, context)
    with open(report_path, "w", encoding="utf-8") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    main()
