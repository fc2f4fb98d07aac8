"""The explorer page (docs/explorer.md) in headless Chromium: its sliders and buttons change
what it shows, and what it shows is the JSON the build computed
(``_static/explorer/results.json``, from bptt_book.figures.explorer.explorer_data).

Run with ``tox -e browser``; see conftest.py for the set-up.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

READOUTS = ("explorer-norm", "explorer-bound", "explorer-share", "explorer-share-beyond",
            "explorer-truncation")


@pytest.fixture(scope="module")
def results(server) -> dict:
    url = urllib.parse.urljoin(server, "_static/explorer/results.json")
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def page(browser, server):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser")
    browser.get(urllib.parse.urljoin(server, "explorer.html"))
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(
        "const e = document.getElementById('bptt-explorer');"
        "return e !== null && e.dataset.ready === 'true';"))
    return browser


def _shown(browser) -> dict:
    """What the page shows: the slider positions, the activation and the readouts."""
    return browser.execute_script("""
        const value = (id) => document.getElementById(id).value;
        const text = (id) => document.getElementById(id).textContent;
        const checked = document.querySelector('input[name="explorer-activation"]:checked');
        return {
          scale: Number(value('explorer-scale')), distance: Number(value('explorer-distance')),
          K: Number(value('explorer-K')), activation: checked.value,
          readouts: Object.fromEntries(arguments[0].map((id) => [id, text(id)])),
          points: document.querySelector('#explorer-norms polyline.measured')
                    .getAttribute('points').trim().split(/\\s+/).length,
          bars: document.querySelectorAll('#explorer-shares rect.bar').length,
          grey: document.querySelectorAll('#explorer-shares rect.bar.dropped').length,
        };""", list(READOUTS))


def _expected(results: dict, shown: dict) -> dict:
    cell = results["results"][shown["activation"]][shown["scale"]]
    d, K = shown["distance"], shown["K"]
    return {
        "explorer-norm": cell["norm"][d],
        "explorer-bound": cell["bound"][d],
        "explorer-share": cell["share"][d],
        "explorer-share-beyond": sum(cell["share"][K + 1:]),
        "explorer-truncation": cell["truncation_error"][K],
    }


def _check(results: dict, shown: dict) -> None:
    for key, value in _expected(results, shown).items():
        number = float(shown["readouts"][key])
        assert number == pytest.approx(value, rel=5e-3, abs=1e-300), (key, shown)
    cell = results["results"][shown["activation"]][shown["scale"]]
    assert shown["points"] == sum(v is not None and v > 0 for v in cell["norm"])
    bars = [i for i, v in enumerate(cell["share"]) if v is not None and v > 0]
    assert shown["bars"] == len(bars)
    assert shown["grey"] == sum(i > shown["K"] for i in bars)


def _press(browser, element_id: str, key: str, times: int) -> None:
    from selenium.webdriver.common.by import By

    slider = browser.find_element(By.ID, element_id)
    for _ in range(times):
        slider.send_keys(key)


def test_explorer_starts_at_its_defaults_and_shows_the_json(page, results):
    shown = _shown(page)
    defaults = results["defaults"]
    assert (shown["scale"], shown["distance"], shown["K"]) == (
        defaults["scale_index"], defaults["distance"], defaults["K"])
    assert shown["activation"] == results["activations"][0]
    _check(results, shown)


def test_moving_the_sliders_changes_the_readouts_to_the_json_values(page, results):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    seen = [_shown(page)]
    moves = [("explorer-scale", Keys.ARROW_RIGHT, 5), ("explorer-distance", Keys.ARROW_RIGHT, 7),
             ("explorer-K", Keys.ARROW_RIGHT, 3), ("explorer-scale", Keys.ARROW_LEFT, 8),
             ("explorer-K", Keys.ARROW_LEFT, 2), ("explorer-distance", Keys.END, 1)]
    for element_id, key, times in moves:
        _press(page, element_id, key, times)
        shown = _shown(page)
        assert shown != seen[-1], f"moving {element_id} changed nothing"
        assert shown["readouts"] != seen[-1]["readouts"], f"moving {element_id}"
        _check(results, shown)
        seen.append(shown)
    assert seen[-1]["distance"] == results["length"] - 1  # End: the last distance
    for name in results["activations"][1:]:
        page.find_element(By.ID, f"explorer-activation-{name}").click()
        shown = _shown(page)
        assert shown["activation"] == name and shown["readouts"] != seen[-1]["readouts"]
        _check(results, shown)
        seen.append(shown)


def test_explorer_logs_no_errors_while_used(page):
    """After all the moves above (the page test checks the console after loading)."""
    from test_rendered_book import _console_errors  # the same rule for what counts

    errors = _console_errors(page.get_log("browser"))
    assert not errors, errors
