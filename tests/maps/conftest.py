"""Fixtures for the map tests: a synthetic result and a page of the shared Chromium.

The sample run (``sample_result``) and the browser are the session fixtures of
``tests/conftest.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import fake_result  # noqa: E402


@pytest.fixture(scope="session")
def fake():
    return fake_result()


class Page:
    """A page with the network cut (only file: and data: URLs load) and its events recorded."""

    def __init__(self, browser: Any, *, size: tuple[int, int] = (1200, 800)) -> None:
        self.page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: Path) -> Any:
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        return self.page

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    p = Page(browser)
    yield p
    p.close()
