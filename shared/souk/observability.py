"""Logger, Metrics and the Tracer, created once per process and shared by every module.

Tracing: Lambda's active tracing (``Tracing: Active`` in the template) records every
invocation, its init and its duration, for every function, at no import cost.
Powertools' Tracer costs a cold start ~60 ms of CPU (the X-Ray SDK and wrapt; README,
Benchmarks), so it is created only where its subsegments pay, by the modules whose calls
deserve their own line in a trace: Stripe calls (``souk.payments.gateway``) and sends in
the email worker, through ``get_tracer().capture_method``. Once created, it patches
botocore, and nothing else (``patch_all`` would load pynamodb, requests, sqlite3 and more),
so that function's AWS calls show too. Subsegments attach to the invocation's segment.
Answers are never recorded: they carry tokens and personal data.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

# Every function imports this module, so every function registers the SnapStart hook.
from souk import snapstart as _snapstart  # noqa: F401

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger()
metrics = Metrics(namespace="Souk")


@cache
def get_tracer() -> Tracer:
    """Powertools' Tracer with botocore patched (nothing else), created on first use."""
    # Deferred for cold start: the X-Ray SDK loads only where a Tracer is wanted.
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=["botocore"])
