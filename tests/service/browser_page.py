"""The real browser and servers the web page's tests drive (registered as a pytest plugin by
tests/conftest.py, so every browser test module shares them): Debian's headless Chromium through
Selenium, a server on the shared scene index, one with characters and genres too, and the files
they are given."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.service.conftest import jpeg_of_frame

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")  # the lookup .ci/run uses
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900"]
TITLE = "Kono Bijutsubu ni wa Mondai ga Aru!"

# every browser test module: `pytestmark = BROWSER_MARKS`
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.shared_data,
                 pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                                    reason="needs Debian's chromium and chromium-driver")]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="animeid-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page_server(shared_db, tmp_path_factory):
    from animeid.service.app import create_app
    from animeid.service.settings import load_settings
    from tests.service.conftest import LiveServer

    settings = load_settings(db=shared_db, preview_dir=tmp_path_factory.mktemp("browser-previews"))
    with LiveServer(create_app(settings)) as server:
        yield server


@pytest.fixture(scope="module")
def screenshot(shared_data, tmp_path_factory) -> Path:
    """A frame at 7.3 s of episode 12 (sampled every 0.5 s, so never an indexed frame itself)."""
    path = tmp_path_factory.mktemp("shot") / "screenshot.jpg"
    path.write_bytes(jpeg_of_frame(shared_data / "video" / TITLE / f"{TITLE} - 12.mp4", 7.3, quality=80))
    return path


def open_page(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/")
    WebDriverWait(browser, 20).until(lambda d: "indexed" in d.find_element(By.ID, "index-info").text)


def cards(browser) -> list:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        if d.find_element(By.ID, "error").is_displayed():
            raise AssertionError(d.find_element(By.ID, "error").text)
        return d.find_elements(By.CSS_SELECTOR, ".card .card-title")

    WebDriverWait(browser, 60).until(ready)
    return browser.find_elements(By.CSS_SELECTOR, ".card")


WINDOW_START = 6.2


def window_frames(shared_data) -> list:
    """Two seconds of episode 12 from WINDOW_START at 10 frames a second, for the clip tests."""
    from animeid.media.video import frames_at

    return frames_at(shared_data / "video" / TITLE / f"{TITLE} - 12.mp4", [WINDOW_START + j / 10 for j in range(21)])


@pytest.fixture(scope="module")
def mp4_clip(shared_data, tmp_path_factory):
    """Two seconds of episode 12 from 6.2 s as an H.264 MP4 at 10 frames a second."""
    from tests.videos import write_frames

    frames = window_frames(shared_data)
    even = [f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2] for f in frames]
    return write_frames(tmp_path_factory.mktemp("clip") / "clip.mp4", even)


@pytest.fixture(scope="module")
def full_server(shared_db, shared_data, genre_model_dir, tmp_path_factory):
    """Scene index + a character gallery (two characters enrolled through the API) + genres."""
    import httpx

    from animeid.service.app import create_app
    from animeid.service.settings import load_settings
    from tests.service.conftest import API_KEY, LiveServer

    tmp = tmp_path_factory.mktemp("full")
    settings = load_settings(db=shared_db, gallery=tmp / "gallery", genre_model=genre_model_dir, api_key=API_KEY,
                             preview_dir=tmp / "previews")
    root = shared_data / "characters" / "moeimouto10" / "train"
    with LiveServer(create_app(settings)) as server:
        for ch in ("000_hatsune_miku", "002_suzumiya_haruhi"):
            files = [("images", (p.name, p.read_bytes(), "image/png")) for p in sorted((root / ch).iterdir())[:8]]
            r = httpx.post(f"{server.url}/enroll", params={"label": ch[4:]}, files=files,
                           headers={"X-API-Key": API_KEY}, timeout=120)
            assert r.status_code == 200, r.text
        yield server


def settled(browser, timeout: float = 60) -> str:
    """The status once the page is idle, with nothing queued."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def idle(d):
        status = d.find_element(By.ID, "status")
        text = status.text
        return text if ("Done" in text or text == "Failed") and "busy" not in status.get_attribute("class") else None

    return WebDriverWait(browser, timeout).until(idle)


def choose(browser, path) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "file").send_keys(str(path))


def text(browser, element_id: str) -> str:
    return browser.execute_script(f"return document.getElementById('{element_id}').textContent")
