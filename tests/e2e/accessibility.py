"""Checks every page gets in the end-to-end tests: axe-core finds nothing serious, and the
page fits its viewport without scrolling sideways.

axe-core is the npm package, pinned with its integrity hash in ``tests/e2e/axe`` and
installed by ``make test`` (``npm ci``). Its source is evaluated in the page through the
DevTools protocol, which a page's Content-Security-Policy does not govern: the pages are
checked under their real CSP, with no ``bypass_csp`` and no script tag.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@cache
def axe_source() -> str:
    """axe-core's source, or skip (fail in CI) when ``npm ci`` has not installed it."""
    if not AXE_SOURCE.exists():
        message = "axe-core is not installed (make axe, or npm ci in tests/e2e/axe)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SOURCE.read_text()


def axe_violations(page: Page) -> list[dict]:
    """Every axe violation on the page as it is now: rule id, impact and the elements."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ['violations'] });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')),
          }));
        }"""
    )


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in SERIOUS]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when it fits)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
