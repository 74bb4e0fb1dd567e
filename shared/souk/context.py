"""What the layer knows about the invocation it runs in, without taking the request (part of the core).

The resolver sets :data:`current_request_id` per request; the audit log and the envelope's
``meta`` read it. Outside a request (jobs, workers, scripts) it is ``"-"``.
"""

from __future__ import annotations

import contextvars

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("current_request_id", default="-")
