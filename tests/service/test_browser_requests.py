"""The web page talking to the server, in a real headless Chromium: a server unreachable or stopped,
files and options given during a search, the server's limits, unreadable files (from an audit of
the page, 2026-11)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.service.browser_page import BROWSER_MARKS, TITLE, cards, choose, open_page, settled, text

pytestmark = BROWSER_MARKS

UNREACHABLE = "The animeid server is not reachable (stopped, or the network is down)."
# fetch made slow, so that a search is still running when a test acts during it
SLOW_SEARCH = """
    window.searches = 0;
    const realFetch = window.fetch;
    window.fetch = async (...args) => {
      const search = String(args[0]).startsWith("/search");
      if (search) window.searches += 1;
      const res = await realFetch(...args);
      if (search) await new Promise((r) => setTimeout(r, arguments[0]));
      return res;
    };"""
POSTS_COUNTED = """
    window.posts = 0;
    const realFetch = window.fetch;
    window.fetch = (...args) => { if (args[1] && args[1].method === "POST") window.posts += 1; return realFetch(...args); };"""


def _server(shared_db, tmp_path, **settings):
    from animeid.service.app import create_app
    from animeid.service.settings import load_settings
    from tests.service.conftest import LiveServer

    return LiveServer(create_app(load_settings(db=shared_db, preview_dir=tmp_path / "previews", **settings)))


def test_a_server_unreachable_at_load_is_asked_again_before_a_search(browser, page_server, screenshot):
    """Until 2026-11 a /health that failed once at load left the page thinking the server had no
    scene index, for good."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        const realFetch = window.fetch;
        let failed = false;
        window.fetch = (...args) => {
          if (!failed && String(args[0]) === "/health") { failed = true; return Promise.reject(new TypeError("Failed to fetch")); }
          return realFetch(...args);
        };"""})
    try:
        browser.get(page_server.url + "/")
        WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "index-info").text == "server unreachable")
        assert browser.find_element(By.ID, "error").text == UNREACHABLE
        choose(browser, screenshot)
        assert settled(browser).startswith("Done")
        assert cards(browser)[0].find_element(By.CSS_SELECTOR, ".card-title").text == TITLE
        assert "indexed" in browser.find_element(By.ID, "index-info").text
        assert TITLE in [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#title option")]
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def test_a_stopped_server_is_named_plainly(browser, shared_db, screenshot, tmp_path):
    from selenium.webdriver.common.by import By

    with _server(shared_db, tmp_path) as server:
        open_page(browser, server)
    choose(browser, screenshot)
    assert settled(browser) == "Failed"
    assert browser.find_element(By.ID, "error").text == UNREACHABLE       # not "Failed to fetch"


def test_options_changed_during_a_search_run_it_again(browser, page_server, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_page(browser, page_server)
    browser.execute_script(SLOW_SEARCH, 1500)
    choose(browser, screenshot)
    Select(browser.find_element(By.ID, "k")).select_by_visible_text("3")
    assert "then again with the new options" in browser.find_element(By.ID, "status").text
    assert settled(browser).startswith("Done")
    assert browser.execute_script("return window.searches") == 2
    assert len(cards(browser)) == 3


def test_files_given_during_a_search_the_latest_runs_next(browser, page_server, screenshot, mp4_clip):
    from selenium.webdriver.common.by import By

    open_page(browser, page_server)
    browser.execute_script(SLOW_SEARCH, 1500)
    choose(browser, screenshot)
    choose(browser, screenshot)   # replaced by the clip before its turn came
    choose(browser, mp4_clip)
    assert "then “clip.mp4”" in browser.find_element(By.ID, "status").text
    assert settled(browser).startswith("Done")
    assert browser.execute_script("return window.searches") == 2
    assert text(browser, "query-title") == "Your clip"
    assert "frames agree" in cards(browser)[0].find_element(By.CSS_SELECTOR, ".meta").text


@pytest.fixture(scope="module")
def limited_server(shared_db, tmp_path_factory):
    """A server answering at most 4 results and taking uploads of up to 100 000 bytes."""
    with _server(shared_db, tmp_path_factory.mktemp("limited"), max_k=4, max_upload_bytes=100_000) as server:
        yield server


def test_result_counts_offered_follow_the_server_s_max_k(browser, limited_server, screenshot):
    from selenium.webdriver.common.by import By

    open_page(browser, limited_server)
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#k option")]
    assert options == ["3", "4"] and browser.find_element(By.ID, "k").get_attribute("value") == "4"
    choose(browser, screenshot)
    assert len(cards(browser)) == 4


def test_a_file_over_the_upload_limit_is_refused_before_it_is_sent(browser, limited_server, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    from animeid.service.body_limit import size_text

    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(big)
    assert big.stat().st_size > 100_000
    open_page(browser, limited_server)
    browser.execute_script(POSTS_COUNTED)
    choose(browser, big)
    assert settled(browser) == "Failed"
    assert browser.find_element(By.ID, "error").text == (   # sizes in the server's own words
        f"“big.png” is {size_text(big.stat().st_size)}: this server takes files up to 98 KB.")
    assert browser.execute_script("return window.posts") == 0


def _notes(tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"these are my notes, no image")
    return notes


def test_an_unreadable_file_is_named_in_plain_words(browser, page_server, tmp_path):
    """The server's reason names the user's file, not "<28 bytes>", without Python's exception class."""
    from selenium.webdriver.common.by import By

    open_page(browser, page_server)
    choose(browser, _notes(tmp_path))
    assert settled(browser) == "Failed"
    error = browser.find_element(By.ID, "error").text
    assert error.startswith("“notes.png”: not a readable image (cannot identify image file"), error
    assert "bytes>" not in error and "Error" not in error


def test_an_unreadable_file_leaves_no_broken_picture_nor_old_count(browser, page_server, screenshot, tmp_path):
    from selenium.webdriver.common.by import By

    open_page(browser, page_server)
    choose(browser, screenshot)
    assert settled(browser).startswith("Done") and text(browser, "results-title") == "Scenes (5)"
    choose(browser, _notes(tmp_path))
    assert settled(browser) == "Failed"
    assert text(browser, "results-title") == "Scenes"
    assert not browser.find_element(By.ID, "query").is_displayed()
    assert browser.find_element(By.ID, "query-note").is_displayed()
