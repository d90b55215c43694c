"""Browser tests: Playwright driving Debian's chromium against the live server.

Every page a flow visits is checked at 1280 and 390 px wide: axe-core finds no WCAG 2.1 A/AA
violation, nothing scrolls sideways at 390 px, and buttons and fields are at least 44 px tall.
Any JavaScript error or Content Security Policy violation fails the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, sync_playwright

from tests.helpers import PASSWORD

# Playwright's sync API keeps an event loop on this thread; the ORM calls the tests make between
# browser steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# Module scope, not session: Playwright's event loop stays running on the main thread while the
# browser is open, and would break every later test that runs asyncio (pyHanko's signing and
# validation) — pytest-django runs the transactional tests after these.
@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class Session:
    """One person's browser: their page, and everything the console reported."""

    def __init__(self, browser, base_url: str) -> None:
        # Reduced motion: Bootstrap then draws no colour transitions, which axe could otherwise
        # catch half-way (a button the pointer happens to rest on after a resize).
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, reduced_motion="reduce"
        )
        self.page: Page = self.context.new_page()
        self.base_url = base_url
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.errors.append(f"{self.page.url}: {m.text}"),
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: {e}"))

    def sign_in(self, email: str) -> Session:
        self.page.goto(self.base_url + "/accounts/login/")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        return self

    def visit(self, path: str, status: int = 200) -> Page:
        """Open a page, expecting its status, and check it at both widths."""
        response = self.page.goto(self.base_url + path)
        assert response.status == status, f"{path} answered {response.status}"
        if status >= 400:  # chromium reports the error status itself on the console
            expected = f"the server responded with a status of {status}"
            self.errors = [e for e in self.errors if expected not in e]
        self.check()
        return self.page

    def follow(self, link: Locator) -> Page:
        """Click a link and check the page it leads to, once that page has loaded.

        Checking straight after the click may run on the page being left, or on none."""
        with self.page.expect_navigation():
            link.click()
        self.check()
        return self.page

    def check(self) -> None:
        """The current page at desk and phone width: accessible, no sideways scroll, big targets."""
        self.page.mouse.move(0, 0)  # judged as seen, not as hovered where the last click was
        for width in (1280, 390):
            self.page.set_viewport_size({"width": width, "height": 900})
            check_accessibility(self.page)
            if width == 390:
                check_phone_layout(self.page)
        self.page.set_viewport_size({"width": 1280, "height": 900})


def check_accessibility(page: Page) -> None:
    page.evaluate(AXE)  # through the DevTools protocol: the page's CSP does not apply to tests
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        f"{[(n['target'], n['html'][:120]) for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert not problems, f"{page.url} at {page.viewport_size['width']} px:\n" + "\n".join(problems)


def check_phone_layout(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at 390 px"
    small = page.evaluate(
        """() => [...document.querySelectorAll('main .btn, main .form-control, main .form-select, main button, header .navbar-toggler')]
            .filter(e => e.offsetParent !== null)
            .filter(e => e.getBoundingClientRect().height < 44)
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert not small, f"{page.url}: tap targets under 44 px at 390 px: {small[:3]}"


@pytest.fixture
def session(browser, live_server):
    sessions: list[Session] = []

    def open_session(email: str | None = None) -> Session:
        new = Session(browser, live_server.url)
        sessions.append(new)
        return new.sign_in(email) if email else new

    yield open_session
    errors = [e for s in sessions for e in s.errors]
    for s in sessions:
        s.context.close()
    assert not errors, "JavaScript errors or CSP violations:\n" + "\n".join(errors)
