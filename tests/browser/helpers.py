"""Helpers for browser tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def off_the_browser_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in another thread. Playwright's sync API keeps an event loop in the test's thread,
    where code that publishes after commit (async_to_sync) cannot run."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result(timeout=30)


def screenshot(page: Any, tmp_path: Path, name: str) -> None:
    """Keep a screenshot with the test's files, and in ``$SCREENSHOTS_DIR`` when set (the docs'
    pictures are made this way: ``SCREENSHOTS_DIR=docs/screenshots make test PYTEST_ARGS=-k …``)."""
    page.evaluate("window.scrollTo(0, 0)")  # else a sticky header is drawn where the page was scrolled to
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if folder := os.environ.get("SCREENSHOTS_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
