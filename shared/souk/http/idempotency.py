"""The ``Idempotency-Key`` header as a route parameter, so the OpenAPI document declares it.

The route passes the value to its service, which runs :func:`souk.db.idempotency.idempotent_call`
(it validates the key: a blank or oversized one is a 400 on the header).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header

from souk.db.idempotency import HEADER

IdempotencyKey = Annotated[
    str | None,
    Header(alias=HEADER, description="Any unique string per intended operation; a retry replays the first answer "
                                     "for 24 hours."),
]  # fmt: skip
