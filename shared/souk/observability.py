"""Logger, Metrics and the Tracer, created once per process and shared by every module.

Tracing has two tiers. Lambda's active tracing (``Tracing: Active`` in the template)
records every invocation, its init and its duration for every function, at no import
cost. Powertools' Tracer adds a subsegment per AWS call (DynamoDB, SQS, S3, Secrets
Manager): it patches botocore only, since ``patch_all`` would import pynamodb, requests,
sqlite3 and more into every function, and it exists only in functions that talk to AWS:
:func:`traced` applies it to a handler whose imports loaded botocore's client, and
leaves the others (version, openapi, docs) without the X-Ray SDK. ``make bench``
measured both ways (README, Benchmarks).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

# Every function imports this module, so every function registers the SnapStart hook.
from souk import snapstart as _snapstart  # noqa: F401

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger()
metrics = Metrics(namespace="Souk")

Handler = TypeVar("Handler", bound=Callable[..., Any])


@cache
def get_tracer() -> Tracer:
    """Powertools' Tracer with botocore patched (nothing else), created on first use."""
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=["botocore"])


def talks_to_aws() -> bool:
    """Whether this process loaded an AWS client class (boto3, or PynamoDB's connection)."""
    return "botocore.client" in sys.modules


def traced(handler: Handler) -> Handler:
    """``handler`` inside a Powertools trace subsegment when the function talks to AWS.

    Call it once the handler's module has done its imports (``entrypoint`` does). Answers
    are never recorded in traces: they carry tokens and personal data.
    """
    if not talks_to_aws():
        return handler
    return get_tracer().capture_lambda_handler(handler, capture_response=False)  # type: ignore[return-value]
