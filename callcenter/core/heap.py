"""The server process's heap after start-up: frozen, so garbage collection stops walking it.

Django, its apps, URL patterns, templates and translations are hundreds of thousands of objects
that live as long as the process. Python's full (generation 2) collection walks every one of
them: 50-60 ms on this machine, once every few hundred requests, which is what a request
waiting behind it sees. ``gc.freeze()`` moves them out of the collector's sight; collections
then walk only what requests made since (under 10 ms). Called once, when the entry points have
loaded the application (callcenter/asgi.py, callcenter/wsgi.py).
"""

from __future__ import annotations

import gc


def heap_freeze_after_startup() -> None:
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
