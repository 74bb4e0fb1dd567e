"""The one way to build an SQS queue consumer, like ``souk.http.resolver`` is for routes.

A consumer is a record handler plus a pydantic record model::

    lambda_handler = sqs_consumer(handle_record, model=MyRecord)

Every record is parsed and handled on its own; failures are reported back through
``batchItemFailures`` (the function's event source has ``ReportBatchItemFailures``), so
SQS retries only the failed messages and, after the queue's ``maxReceiveCount``, moves
them to the dead-letter queue. The batch itself never fails: a malformed record is a
failed item, not a crashed invocation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from pydantic import BaseModel, Field, ValidationError

from souk import coldstart
from souk.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

LambdaHandler = Callable[[dict[str, Any], "LambdaContext"], "PartialItemFailureResponse"]


class SqsJobRecord(BaseModel):
    """An SQS record as Lambda delivers it; subclasses narrow ``body`` (``Json[MyJob]``).

    Our own model rather than Powertools' ``SqsRecordModel``: that one requires every
    system attribute (``SenderId``, ``SentTimestamp``...), which the local runner's events
    need not carry, and a record failing on those would look like a poison pill.
    """

    # Lambda's own field names, so Powertools reads the message id for batchItemFailures.
    messageId: str
    receiptHandle: str
    body: Any
    attributes: dict[str, str] = Field(default_factory=dict)
    eventSourceARN: str = ""

    @property
    def receive_count(self) -> int:
        return int(self.attributes.get("ApproximateReceiveCount", "1"))


def is_retryable(exc: BaseException) -> bool:
    """Whether a record that raised ``exc`` may succeed when SQS delivers it again.

    Malformed records and reused idempotency keys never will; errors that say so carry
    ``retryable = False``; anything unknown is assumed transient.
    """
    if isinstance(exc, ValidationError | IdempotencyValidationError):
        return False
    return bool(getattr(exc, "retryable", True))


def _error_detail(exc: BaseException) -> Any:
    if isinstance(exc, ValidationError):
        # Locations and types only: pydantic's message repeats the input (codes, addresses).
        return [{"loc": ".".join(str(p) for p in err["loc"]), "type": err["type"]} for err in exc.errors()]
    return str(exc)


class SoukBatchProcessor(BatchProcessor):
    """BatchProcessor that logs each failure once, with its message id and whether it is final."""

    def failure_handler(self, record: Any, exception: Any) -> Any:
        exc = exception[1]
        message_id = getattr(record, "messageId", None) or getattr(record, "message_id", None)
        extra = {"message_id": message_id, "error_type": type(exc).__name__, "error": _error_detail(exc)}
        if is_retryable(exc):
            metrics.add_metric(name="RecordsFailedRetryable", unit=MetricUnit.Count, value=1)
            # A concurrent delivery of the same message is expected; anything else unknown is a
            # bug until proven otherwise, so it keeps its traceback.
            known = hasattr(exc, "retryable") or isinstance(exc, IdempotencyAlreadyInProgressError)
            logger.warning("record failed; SQS will retry it", extra=extra, exc_info=None if known else exception)
        else:
            metrics.add_metric(name="RecordsFailedPermanently", unit=MetricUnit.Count, value=1)
            logger.error("record failed permanently; it reaches the dead-letter queue after its retries", extra=extra)
        return super().failure_handler(record, exception)


def sqs_consumer(record_handler: Callable[..., Any], *, model: type[SqsJobRecord]) -> LambdaHandler:
    """The Lambda handler for an SQS consumer, with logging and metrics applied.

    Parameters
    ----------
    record_handler
        Called once per record with ``record`` (an instance of ``model``) and, when its
        signature has it, ``lambda_context``. Raise to fail the record.
    model
        Pydantic model for one record; a record it rejects is reported failed.

    Returns
    -------
    Callable
        ``lambda_handler(event, context)`` returning ``{"batchItemFailures": [...]}``.
    """
    # False: when every record fails, report them all as failed items instead of raising,
    # so the batch is handled the same way whatever its size (and the runner sees no crash).
    # The type names Powertools' own record models; ours is duck-compatible (model_validate,
    # messageId), which is all the processor uses.
    processor = SoukBatchProcessor(
        event_type=EventType.SQS,
        model=model,  # type: ignore[arg-type]
        raise_on_entire_batch_failure=False,
    )

    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    coldstart.init_done()  # the function's imports are done: resume garbage collection
    return lambda_handler
