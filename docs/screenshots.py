"""Screenshots of Muster's main pages, and the first pages of a signed report.

Builds the demo in a scratch directory (its own database, media and signing key, so nothing of
yours is touched), runs the task worker until the demo's signed reports exist, serves the app on
a free port with production settings, and photographs each page with Debian's chromium at desk
(1280 px) and phone (390 px) width. Writes PNGs to docs/screenshots/. Run with `make screenshots`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SCRATCH = Path(tempfile.mkdtemp(prefix="muster-screenshots-"))
PASSWORD = "harbor-demo-2026"  # the demo's, printed by `make run`
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}
REPORT_PAGES = 3

ENV = os.environ | {
    "DEBUG": "false",
    "SECRET_KEY": "screenshots-only",
    "DATABASE_URL": f"sqlite:///{SCRATCH / 'db.sqlite3'}",
    "MEDIA_ROOT": str(SCRATCH / "media"),
    "STATIC_ROOT": str(SCRATCH / "static"),
    "REPORT_SIGNING_KEY": str(SCRATCH / "signing" / "muster.key"),
    "REPORT_SIGNING_CERT": str(SCRATCH / "signing" / "muster.crt"),
    "LOG_LEVEL": "WARNING",
    # Served over plain http on 127.0.0.1: no https redirect, no secure-only cookies.
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}


def manage(*args: str, **kwargs) -> subprocess.Popen | None:
    command = [sys.executable, "manage.py", *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, cwd=ROOT, env=ENV, **kwargs)
    subprocess.run(
        command, cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 — our own local server
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The server did not answer at {url}")


def build_demo() -> None:
    steps = (["migrate"], ["collectstatic", "--no-input"], ["signing_keys"], ["load_catalog"])
    for step in (*steps, ["seed_demo", "--force"]):  # DEBUG off, as served
        manage(*step)
    manage("db_worker", "--batch")  # renders the demo's signed reports


def shoot(browser, base: str) -> list[Path]:
    written = []

    def person(email: str, width: str):
        w, h = WIDTHS[width]
        context = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1)
        page = context.new_page()
        page.goto(base + "/accounts/login/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/agencies/"))
        return context, page

    def snap(page, name: str, width: str) -> None:
        path = OUT / f"{name}-{width}.png"
        page.screenshot(path=path)
        written.append(path)

    for width in WIDTHS:
        w, h = WIDTHS[width]
        anonymous = browser.new_context(viewport={"width": w, "height": h})
        login = anonymous.new_page()
        login.goto(base + "/accounts/login/")
        snap(login, "login", width)
        anonymous.close()

        context, page = person("chief@harbor.example", width)
        snap(page, "dashboard", width)
        page.goto(base + "/agencies/harbor-city-pd/assessments/")
        page.get_by_role("link", name="2026 annual assessment").first.click()
        page.wait_for_load_state()
        checklist = page.url
        snap(page, "checklist", width)
        page.goto(checklist + "?q=LER-01")
        page.get_by_role("link", name="Edit LER-01").click()
        page.locator("form[hx-post]").wait_for()
        page.evaluate(
            "() => window.scrollTo(0, document.querySelector('form[hx-post]')"
            ".closest('.card').getBoundingClientRect().top + window.scrollY - 16)"
        )
        snap(page, "edit-item", width)
        for name, path in (("reports", "reports/"), ("people", "people/"), ("audit", "audit/")):
            page.goto(f"{base}/agencies/harbor-city-pd/{path}")
            snap(page, name, width)
        page.goto(base + "/accounts/two-factor/")
        snap(page, "two-factor", width)
        page.goto(base + "/agencies/lakeside-county-so/")
        snap(page, "not-found", width)
        context.close()

        context, page = person("sro.hill@harbor.example", width)
        page.goto(base + "/agencies/harbor-city-pd/my-schools/")
        snap(page, "my-schools", width)
        context.close()
    return written


def report_pages(browser, base: str) -> list[Path]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email address").fill("chief@harbor.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.goto(base + "/agencies/harbor-city-pd/reports/")
    link = page.get_by_role("link", name=re.compile(r"Download signed PDF.*Full report")).first
    pdf = SCRATCH / "signed-report.pdf"
    pdf.write_bytes(page.request.get(base + link.get_attribute("href")).body())
    context.close()
    prefix = OUT / "report-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", str(REPORT_PAGES), pdf, prefix],
        check=True,
    )
    return sorted(OUT.glob("report-page-*.png"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    build_demo()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = manage(
        "runserver", f"127.0.0.1:{port}", "--noreload", background=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(base + "/accounts/login/")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            written = shoot(browser, base) + report_pages(browser, base)
            browser.close()
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(SCRATCH, ignore_errors=True)
    for path in written:
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
