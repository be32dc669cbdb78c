"""In-process domain events between bounded contexts, delivered after commit.

A context emits a named event with a small JSON payload; other contexts subscribe handlers
at start-up (in their AppConfig.ready). Handlers run after the emitting transaction commits,
never if it rolls back; they should be quick (enqueue a task for slow work). A failing
handler is logged and does not stop the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import structlog
from django.db import transaction

log = structlog.get_logger(__name__)

Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def unsubscribe(event: str, handler: Handler) -> None:
    if handler in _handlers[event]:
        _handlers[event].remove(handler)


def _deliver(event: str, payload: dict[str, Any]) -> None:
    for handler in list(_handlers[event]):
        try:
            handler(payload)
        except Exception:  # one subscriber's bug must not cost the others their event
            log.exception("domain_event.handler_failed", event_name=event, handler=getattr(handler, "__name__", "?"))


def emit_on_commit(event: str, payload: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _deliver(event, payload))
