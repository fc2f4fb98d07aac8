"""Fixtures for the browser test of the built book (``tox -e browser``).

The tests open the HTML that ``sphinx-build -b html docs docs/_build/html`` wrote, served by a
local HTTP server on 127.0.0.1, in Debian's headless Chromium driven by Selenium through Debian's
chromedriver. Nothing is fetched from the network: Selenium is given both binaries, so Selenium
Manager never runs.

Skips, each with its reason, when the built HTML, Selenium, Chromium or chromedriver is missing.
Chromium and chromedriver are installed with ``apt-get install -y chromium chromium-driver``
first when running as root on a machine that has apt-get.

Environment variables:

``BPTT_BOOK_HTML``
    the built HTML to test (default: docs/_build/html).
``BPTT_BOOK_SCREENSHOTS``
    where the screenshots go (default: docs/_build/screenshots).
``BPTT_BOOK_NO_APT``
    set to 1 to skip instead of installing the browser with apt-get.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BPTT_BOOK_HTML", ROOT / "docs" / "_build" / "html"))
SCREENSHOTS = Path(
    os.environ.get("BPTT_BOOK_SCREENSHOTS", ROOT / "docs" / "_build" / "screenshots")
)

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMEDRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

# Flags that keep headless Chromium from talking to anything but the local server.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--hide-scrollbars",
    "--window-size=1280,1024",
)


def _find_browser() -> tuple[str | None, str | None]:
    chromium = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver") or next(
        (p for p in CHROMEDRIVER_PATHS if Path(p).is_file()), None
    )
    return chromium, driver


def _install_browser() -> str:
    """Install Debian's chromium and chromium-driver if we may; return what happened."""
    if os.environ.get("BPTT_BOOK_NO_APT") == "1":
        return "installing is switched off (BPTT_BOOK_NO_APT=1)"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get install is not tried"
    if shutil.which("apt-get") is None:
        return "there is no apt-get on this machine"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    steps = (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
    )
    for command in steps:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed: {done.stderr.strip()[-500:]}"
    return "apt-get install -y chromium chromium-driver ran"


@pytest.fixture(scope="session")
def html_dir() -> Path:
    """The built book; skip when it has not been built."""
    if not (HTML / "index.html").is_file():
        pytest.skip(
            f"no built book at {HTML}: build it first with "
            f"`sphinx-build -b html docs {HTML}` (or run `tox -e browser`, which does)"
        )
    return HTML


@pytest.fixture(scope="session")
def server(html_dir: Path):
    """Base URL of a local HTTP server (127.0.0.1, a free port) that serves the built book."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Selenium; skip with the reason if there is none."""
    webdriver = pytest.importorskip(
        "selenium.webdriver",
        reason="selenium is not installed (pip install -e '.[browser]', or run tox -e browser)",
    )
    from selenium.webdriver.chrome.service import Service

    chromium, driver = _find_browser()
    if chromium is None or driver is None:
        attempt = _install_browser()
        chromium, driver = _find_browser()
        if chromium is None or driver is None:
            pytest.skip(
                "headless Chromium is not available "
                f"(chromium: {chromium or 'missing'}, chromedriver: {driver or 'missing'}; "
                f"{attempt}). Install it with: apt-get install -y chromium chromium-driver"
            )

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="bptt-book-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Giving the driver's path means Selenium Manager (which would download one) never runs.
    service = Service(executable_path=driver)
    try:
        chrome = webdriver.Chrome(service=service, options=options)
    except Exception as exc:  # noqa: BLE001 - report any start-up failure as the reason
        shutil.rmtree(profile, ignore_errors=True)
        pytest.fail(f"Chromium ({chromium}) did not start through {driver}: {exc}")
    chrome.set_page_load_timeout(60)
    chrome.set_script_timeout(60)
    try:
        yield chrome
    finally:
        chrome.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


_STATS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def stats(request) -> dict:
    """Counts for the closing summary: pages opened, links checked, screenshots saved."""
    return request.config.stash.setdefault(
        _STATS,
        {
            "pages": set(),
            "links": 0,
            "urls": set(),
            "anchors": 0,
            "screenshots": [],
            "search": "",
            "layout": {},
        },
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    found = config.stash.get(_STATS, None)
    if not found or not found["pages"]:
        return
    write = terminalreporter.write_line
    terminalreporter.section("rendered book")
    write(f"pages opened in Chromium: {len(found['pages'])}")
    write(
        f"internal links checked: {found['links']} "
        f"({len(found['urls'])} distinct URLs, {found['anchors']} #anchors)"
    )
    for width, boxes in sorted(found["layout"].items(), reverse=True):
        write(
            f"at {width} px: {len(boxes)} pages measured, {sum(boxes)} equations and listings "
            "wider than their box (each scrolls and shows its cue)"
        )
    if found["search"]:
        write(f"search: {found['search']}")
    if found["screenshots"]:
        write(f"screenshots: {len(found['screenshots'])} in {Path(found['screenshots'][0]).parent}")
