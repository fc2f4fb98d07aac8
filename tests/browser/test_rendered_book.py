"""The built book as a reader meets it: every page opened in headless Chromium.

For each page (the front page, the preface, every chapter, the references and the API page):

* the equations are typeset: every ``.math`` element Sphinx wrote holds MathJax's output
  (``mjx-container``), MathJax reports no TeX error, and no raw TeX (``$$``, ``\\frac``,
  ``\\begin{`` ...) is left in the page's text outside code;
* every image has loaded (``complete`` and ``naturalWidth > 0``), and every figure the chapter's
  source draws with ``.. plot::`` is there;
* figure captions are as dark as the text and write their symbols as typeset math, not as
  ASCII or Unicode stand-ins (``∂s_t``, ``σ_max``, ``1e-16``);
* the browser console shows no error;
* every internal link returns 200 from the server, and each ``#anchor`` exists on its target page;
* a full-page screenshot is saved in docs/_build/screenshots/ for a reviewer to look at.

At each of two window widths, 1280 px (a laptop) and 400 px (a phone), with every folded
solution opened:

* the page does not overflow sideways: nothing sticks out past the right edge of the window,
  except inside a box that scrolls;
* every display equation or code listing wider than its box scrolls inside that box, and shows
  the cue at the edge where content is hidden (a shadow, from docs/_static/): on the right before
  scrolling, on the left after scrolling to the end; at 400 px every chapter has such boxes;
* a full-page screenshot at 400 px is saved in docs/_build/screenshots/400/.

The search page must list chapter 5 when asked for a word of its prose that Sphinx's search
index holds for chapter 5 alone (chosen when the test runs, so edits to the chapter keep it
meaningful).

Run with ``tox -e browser`` (which builds the HTML first); see conftest.py for the set-up.
"""

from __future__ import annotations

import base64
import html.parser
import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CHAPTER_5 = "chapters/05-vanishing-gradients"

# Pages as Sphinx names them (the source path without its suffix). The chapters are found from
# their sources, so a chapter that failed to build is reported as missing rather than skipped.
PAGES = ["index", "preface", "notation"] + [
    f"chapters/{source.stem}" for source in sorted((DOCS / "chapters").glob("*.md"))
]
PAGES += [
    name
    for name in ("summary", "glossary", "explorer", "references", "api")
    if (DOCS / f"{name}.md").is_file()
]

# TeX that must not be visible in a page's text once MathJax has run (code is not looked at).
RAW_TEX = re.compile(
    r"\$\$|\\\(|\\\)|\\\[|\\\]|\\(frac|dfrac|tfrac|begin|end|partial|operatorname|left|right"
    r"|sum|prod|hat|top|mathrm|mathbf|text|lVert|rVert|sigma|gamma|delta|tanh|sqrt|le|ge)\b"
)

# Headless Chromium cannot capture taller images than this in one piece; longer pages are
# scaled down to fit.
MAX_SCREENSHOT_HEIGHT = 16_000

# Window widths (CSS pixels) at which the layout is checked: a laptop and a phone.
WIDTHS = (1280, 400)
WINDOW_HEIGHT = 1024


# -- scripts run in the page ------------------------------------------------------------------

WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!window.MathJax) { done("no MathJax on this page"); return; }
const started = Date.now();
(function wait() {
  if (window.MathJax.startup && window.MathJax.startup.promise) {
    window.MathJax.startup.promise.then(() => done("typeset"), (e) => done("failed: " + e));
  } else if (Date.now() - started > 30000) {
    done("MathJax did not start within 30 s");
  } else {
    setTimeout(wait, 50);
  }
})();
"""

MATH_STATE = """
const math = Array.from(document.querySelectorAll(".math"));
const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "NOSCRIPT", "TEMPLATE",
                      "MJX-CONTAINER"]);
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
  acceptNode(node) {
    for (let e = node.parentElement; e; e = e.parentElement) {
      if (skip.has(e.tagName) || e.classList.contains("highlight")) {
        return NodeFilter.FILTER_REJECT;
      }
    }
    return NodeFilter.FILTER_ACCEPT;
  },
});
const texts = [];
while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);
return {
  math: math.length,
  typeset: math.filter((e) => e.querySelector("mjx-container")).length,
  untypeset: math.filter((e) => !e.querySelector("mjx-container"))
                 .slice(0, 5).map((e) => e.textContent.slice(0, 120)),
  containers: document.querySelectorAll("mjx-container").length,
  errors: Array.from(document.querySelectorAll("mjx-merror, [data-mjx-error]"))
               .slice(0, 5).map((e) => e.getAttribute("data-mjx-error") || e.textContent),
  text: texts.join(" "),
};
"""

WAIT_FOR_IMAGES = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
for (const image of images) image.loading = "eager";
Promise.all(images.map((image) => image.complete ? null : new Promise((resolve) => {
  image.addEventListener("load", resolve, {once: true});
  image.addEventListener("error", resolve, {once: true});
  setTimeout(resolve, 20000);
}))).then(() => done(images.map((image) => ({
  src: image.getAttribute("src"),
  complete: image.complete,
  width: image.naturalWidth,
  plot: image.classList.contains("plot-directive"),
}))));
"""

CAPTIONS = """
const text = document.querySelector("article p, main p");
const bodyColor = text ? getComputedStyle(text).color : "";
return Array.from(document.querySelectorAll("figure figcaption")).map((caption) => {
  const copy = caption.cloneNode(true);
  copy.querySelectorAll("mjx-container, .math, code, .caption-number, a.headerlink")
      .forEach((e) => e.remove());
  return {
    color: getComputedStyle(caption.querySelector(".caption-text") || caption).color,
    bodyColor: bodyColor,
    math: caption.querySelectorAll("mjx-container").length,
    text: copy.textContent.replace(/\\s+/g, " ").trim(),
  };
});
"""

LINKS_AND_IDS = """
const here = new URL(window.location.href);
const links = Array.from(document.querySelectorAll("a[href]"))
  .map((a) => new URL(a.getAttribute("href"), here))
  .filter((url) => url.origin === here.origin && url.protocol.startsWith("http"))
  .map((url) => url.href);
return links;
"""


LAYOUT = """
const done = arguments[arguments.length - 1];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const BOXES = "div.math > mjx-container, div.highlight > pre";
(async () => {
  // Open every folded solution, so that its equations and listings are measured too.
  for (const button of document.querySelectorAll("button.toggle-button")) {
    if (button.closest(".toggle-hidden") || button.parentElement.closest(".toggle-hidden")) {
      button.click();
    }
  }
  await pause(400);
  const width = document.documentElement.clientWidth;
  const scrolls = (e) => ["auto", "scroll", "hidden"].includes(getComputedStyle(e).overflowX);
  const insideScroller = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a)) return true;
    }
    return false;
  };
  const sticking = Array.from(document.body.querySelectorAll("*"))
    .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > width + 1)
    // A closed drawer of the theme waits off-screen, hidden: the reader cannot scroll to it.
    .filter((e) => getComputedStyle(e).visibility !== "hidden")
    .filter((e) => !insideScroller(e))
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className} right=${
      Math.round(e.getBoundingClientRect().right)}`);
  const boxes = Array.from(document.querySelectorAll(BOXES))
    .filter((b) => b.getClientRects().length && b.scrollWidth > b.clientWidth + 1);
  const found = boxes.map((b) => ({
    what: `${b.tagName.toLowerCase()}.${b.className.split(" ")[0]} ${
      (b.id || b.textContent).trim().slice(0, 50)}`,
    overflow: getComputedStyle(b).overflowX,
    hidden: b.scrollWidth - b.clientWidth,
    start: [b.classList.contains("scroll-cue-left"), b.classList.contains("scroll-cue-right")],
    shadowStart: getComputedStyle(b).boxShadow,
  }));
  boxes.forEach((b) => { b.scrollLeft = b.scrollWidth; });
  await pause(400);
  boxes.forEach((b, i) => {
    found[i].scrolled = b.scrollLeft;
    found[i].end = [b.classList.contains("scroll-cue-left"),
                    b.classList.contains("scroll-cue-right")];
    found[i].shadowEnd = getComputedStyle(b).boxShadow;
    b.scrollLeft = 0;
  });
  done({
    width: width,
    pageWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    sticking: sticking,
    boxes: found,
  });
})();
"""


# -- helpers ------------------------------------------------------------------------------------


class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


@dataclass
class Fetched:
    status: int
    ids: set[str] = field(default_factory=set)
    error: str = ""


@pytest.fixture(scope="session")
def fetch(server):
    """GET a URL of the local server once; its status and, for HTML, the ids it defines."""
    cache: dict[str, Fetched] = {}

    def get(url: str) -> Fetched:
        if url not in cache:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    body = response.read()
                    found = Fetched(response.status)
                    if response.headers.get_content_type() == "text/html":
                        parser = _Ids()
                        parser.feed(body.decode("utf-8", "replace"))
                        found.ids = parser.ids
            except urllib.error.HTTPError as exc:
                found = Fetched(exc.code, error=str(exc))
            except OSError as exc:
                found = Fetched(0, error=str(exc))
            cache[url] = found
        return cache[url]

    return get


@dataclass
class Page:
    name: str
    url: str
    mathjax: str
    math: dict
    images: list[dict]
    console: list[dict]
    links: list[str]
    captions: list[dict]
    declares_icon: bool
    screenshot: Path


def _console_errors(entries: list[dict], declares_icon: bool = False) -> list[str]:
    # Only the book's own errors count. With the flags in conftest.py Chromium makes no
    # connection of its own; should one ever fail it is logged with a URL that is not on
    # 127.0.0.1, and such a message (and only such a message) is left out here. A page that
    # declares no icon does not ask for /favicon.ico: Chromium probes for it by itself, so its
    # 404 is left out too, unless the page does declare an icon.
    errors = []
    for entry in entries:
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        if not declares_icon and re.search(r"/favicon\.ico\b.*\b404\b", message):
            continue
        urls = re.findall(r"(?:https?|wss?)://[^\s\"']+", message)
        if urls and not any(urllib.parse.urlsplit(u).hostname == "127.0.0.1" for u in urls):
            continue
        errors.append(message)
    return errors


def _screenshot(browser, path: Path) -> Path:
    """Save the whole page (scaled down if it is very tall) as a PNG.

    The viewport is made as tall as the page while the picture is taken, so the theme's sticky
    sidebars are laid out as a reader scrolling the page would see them at the top."""
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width, height = math.ceil(size["width"]), math.ceil(size["height"])
    height = min(height, 4 * MAX_SCREENSHOT_HEIGHT)
    scale = min(1.0, MAX_SCREENSHOT_HEIGHT / max(height, 1))
    viewport = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": viewport[0], "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        shot = browser.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": scale},
            },
        )
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


@pytest.fixture(scope="session")
def visit(browser, server, screenshot_dir, stats):
    """Open a page once, let MathJax and the images finish, and record what the reader sees."""
    pages: dict[str, Page] = {}

    def open_page(name: str) -> Page:
        if name in pages:
            return pages[name]
        url = urllib.parse.urljoin(server, f"{name}.html")
        browser.get_log("browser")  # drop what earlier pages logged
        browser.get(url)
        mathjax = browser.execute_async_script(WAIT_FOR_MATHJAX)
        images = browser.execute_async_script(WAIT_FOR_IMAGES)
        state = browser.execute_script(MATH_STATE)
        links = browser.execute_script(LINKS_AND_IDS)
        captions = browser.execute_script(CAPTIONS)
        icon = browser.execute_script("return document.querySelector('link[rel~=icon]') !== null")
        shot = _screenshot(browser, screenshot_dir / f"{Path(name).name}.png")
        console = browser.get_log("browser")
        pages[name] = Page(
            name, url, mathjax, state, images, console, links, captions, icon, shot
        )
        stats["pages"].add(name)
        stats["screenshots"].append(str(shot))
        print(f"{name}: screenshot {shot}")
        return pages[name]

    return open_page


@dataclass
class Layout:
    name: str
    url: str
    width: int
    measured: dict


def _set_width(browser, width: int | None) -> None:
    """Make the viewport ``width`` CSS pixels wide (emulated, as DevTools' device mode does), or
    give it back the window's own width (``None``)."""
    if width is None:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": WINDOW_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    inner = browser.execute_script("return window.innerWidth")
    assert inner == width, f"could not make the viewport {width} px wide (it is {inner} px)"


@pytest.fixture(scope="session")
def layout(browser, server, screenshot_dir, stats):
    """Open a page at a window width, open its folded solutions and measure what sticks out."""
    measured: dict[tuple[str, int], Layout] = {}

    def open_page(name: str, width: int) -> Layout:
        key = (name, width)
        if key in measured:
            return measured[key]
        url = urllib.parse.urljoin(server, f"{name}.html")
        try:
            _set_width(browser, width)
            browser.get(url)
            browser.execute_async_script(WAIT_FOR_MATHJAX)
            browser.execute_async_script(WAIT_FOR_IMAGES)
            found = browser.execute_async_script(LAYOUT)
            if width < 1000:
                shot = _screenshot(browser, screenshot_dir / str(width) / f"{Path(name).name}.png")
                stats["screenshots"].append(str(shot))
        finally:
            _set_width(browser, None)
        measured[key] = Layout(name, url, width, found)
        stats["layout"].setdefault(width, []).append(len(found["boxes"]))
        return measured[key]

    return open_page


def _source(name: str) -> str:
    return (DOCS / f"{name}.md").read_text(encoding="utf-8")


# -- the checks, one test per page and kind -------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_page_was_built(html_dir, name):
    assert (html_dir / f"{name}.html").is_file(), f"{name}.html is missing from {html_dir}"


@pytest.mark.parametrize("name", PAGES)
def test_equations_are_typeset(visit, name):
    page = visit(name)
    state = page.math
    if state["math"]:
        assert page.mathjax == "typeset", f"{page.url}: MathJax {page.mathjax}"
        assert state["typeset"] == state["math"], (
            f"{page.url}: {state['math'] - state['typeset']} of {state['math']} equations were "
            f"not typeset, e.g. {state['untypeset']}"
        )
        assert state["containers"] >= state["math"]
    assert not state["errors"], f"{page.url}: MathJax could not typeset {state['errors']}"
    raw = [
        state["text"][max(m.start() - 40, 0) : m.end() + 40].replace("\n", " ")
        for m in RAW_TEX.finditer(state["text"])
    ]
    assert not raw, f"{page.url}: raw TeX is visible: {raw[:5]}"


@pytest.mark.parametrize("name", PAGES)
def test_figures_load(visit, name):
    page = visit(name)
    broken = [image["src"] for image in page.images if not (image["complete"] and image["width"])]
    assert not broken, f"{page.url}: images that did not load: {broken}"
    # Every ``.. plot::`` of the source gives one figure on the page.
    plots = len(re.findall(r"^\s*\.\. plot::", _source(name), flags=re.MULTILINE))
    shown = sum(image["plot"] for image in page.images)
    assert shown == plots, f"{page.url}: the source draws {plots} figures, the page shows {shown}"


# Symbols and sub/superscripts written as text instead of math: ∂s_t, σ_max, b_z, 1e-16, t − k.
PSEUDO_MATH = re.compile(r"[∂γσδ₀-₉]|\b\w_\w|\b\d+e-\d+\b|\b[a-zA-Z] [−=<] [a-zA-Z0-9]")


@pytest.mark.parametrize("name", PAGES)
def test_figure_captions_typeset_their_math(visit, name):
    page = visit(name)
    plots = len(re.findall(r"^\s*\.\. plot::", _source(name), flags=re.MULTILINE))
    captions = len(page.captions)
    assert captions >= plots, f"{page.url}: {plots} figures, {captions} captions"
    for caption in page.captions:
        assert caption["color"] == caption["bodyColor"], (
            f"{page.url}: a caption is {caption['color']}, the text {caption['bodyColor']}: "
            f"{caption['text'][:80]}"
        )
        found = PSEUDO_MATH.findall(caption["text"])
        assert not found, f"{page.url}: math written as text {found} in: {caption['text']}"


@pytest.mark.parametrize("name", PAGES)
def test_console_has_no_errors(visit, name):
    page = visit(name)
    errors = _console_errors(page.console, page.declares_icon)
    assert not errors, f"{page.url}: the browser console shows errors: {errors}"


@pytest.mark.parametrize("name", PAGES)
def test_internal_links_resolve(visit, fetch, stats, name):
    page = visit(name)
    failures = []
    for link in page.links:
        target, _, anchor = link.partition("#")
        found = fetch(target)
        stats["links"] += 1
        stats["urls"].add(target)
        if found.status != 200:
            failures.append(f"{link} -> HTTP {found.status} {found.error}")
            continue
        anchor = urllib.parse.unquote(anchor)
        if anchor:
            stats["anchors"] += 1
            if anchor not in found.ids:
                failures.append(f"{link} -> no id {anchor!r} on {target}")
    assert page.links, f"{page.url} has no internal links at all"
    assert not failures, f"{page.url}: {len(failures)} broken links: {failures[:10]}"


@pytest.mark.parametrize("name", PAGES)
def test_screenshot_saved(visit, name):
    page = visit(name)
    assert page.screenshot.is_file() and page.screenshot.stat().st_size > 10_000, page.screenshot


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_does_not_overflow_sideways(layout, name, width):
    page = layout(name, width)
    found = page.measured
    assert found["width"] == width
    assert found["pageWidth"] <= width, (
        f"{page.url} at {width} px: the page is {found['pageWidth']} px wide; "
        f"sticking out: {found['sticking']}"
    )
    assert not found["sticking"], f"{page.url} at {width} px: {found['sticking']}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_wide_boxes_scroll_with_a_cue(layout, name, width):
    page = layout(name, width)
    boxes = page.measured["boxes"]
    if width < 1000 and name.startswith("chapters/"):
        assert boxes, f"{page.url} at {width} px: no equation or listing is wider than its box"
    problems = []
    for box in boxes:
        if box["overflow"] not in ("auto", "scroll"):
            problems.append(f"{box['what']}: overflow-x is {box['overflow']}, it cannot scroll")
        elif box["scrolled"] <= 0:
            problems.append(f"{box['what']}: did not scroll")
        if box["start"] != [False, True] or box["shadowStart"] in ("", "none"):
            problems.append(f"{box['what']}: no cue on the right edge before scrolling {box}")
        if box["end"] != [True, False] or box["shadowEnd"] in ("", "none"):
            problems.append(f"{box['what']}: no cue on the left edge after scrolling {box}")
    assert not problems, f"{page.url} at {width} px: {len(problems)} problems: {problems[:5]}"


# -- search -------------------------------------------------------------------------------------


def _prose_words(text: str) -> list[str]:
    """Words of a page's prose: fenced blocks, math, roles and link targets removed."""
    text = re.sub(r"^(`{3,}|:{3,}).*?^\1\s*$", " ", text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\{[a-z:]+\}`[^`]*`|`[^`]*`|\([^)]*\)=|\]\([^)]*\)", " ", text)
    return re.findall(r"\b[a-z]{7,}\b", text.lower())


def search_term(html_dir: Path) -> str:
    """A word of chapter 5's prose that Sphinx's search index has for chapter 5 alone (the most
    frequent such word), looked up the way the search page looks it up: by its stem."""
    from sphinx.search.en import SearchEnglish

    script = (html_dir / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(script[script.index("(") + 1 : script.rindex(")")])
    chapter = index["docnames"].index(CHAPTER_5)

    def documents(stem: str) -> set[int]:
        found: set[int] = set()
        for table in ("terms", "titleterms"):
            hit = index[table].get(stem, [])
            found.update(hit if isinstance(hit, list) else [hit])
        return found

    stem = SearchEnglish({}).stem
    counts = Counter(w for w in _prose_words(_source(CHAPTER_5)) if documents(stem(w)) == {chapter})
    assert counts, f"no word of {CHAPTER_5}.md is in the search index for that page alone"
    return sorted(counts, key=lambda w: (-counts[w], w))[0]


def test_search_finds_chapter_5(browser, server, html_dir, stats):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    term = search_term(html_dir)
    url = urllib.parse.urljoin(server, "search.html?q=" + urllib.parse.quote(term))
    browser.get_log("browser")
    browser.get(url)
    # Sphinx's search writes a summary line under the results when it has finished.
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script(
            "const s = document.querySelector('#search-results .search-summary');"
            "return s !== null && s.textContent.trim() !== '';"
        )
    )
    hrefs = [
        urllib.parse.urlsplit(a.get_attribute("href")).path
        for a in browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")
    ]
    stats["search"] = f"{url} -> {len(hrefs)} result(s): {', '.join(hrefs)}"
    print(stats["search"])
    assert any(path.endswith(f"/{CHAPTER_5}.html") for path in hrefs), (
        f"searching for {term!r} (a word only chapter 5 uses) did not list {CHAPTER_5}.html: "
        f"{hrefs}"
    )
    errors = _console_errors(browser.get_log("browser"))
    assert not errors, f"{url}: the browser console shows errors: {errors}"
