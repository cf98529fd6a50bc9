"""The web page end to end in a real headless Chromium (Debian's `chromium` + `chromium-driver`,
driven by Selenium): upload a frame of a shared clip three ways (file chooser, drag and drop,
paste) and check that the right title, episode and a playable scene preview appear."""
from __future__ import annotations

import base64
import re

import pytest

from tests.service.browser_page import BROWSER_MARKS, TITLE, WINDOW_START, cards, open_page, window_frames

pytestmark = BROWSER_MARKS

def _assert_right_answer(browser) -> None:
    from selenium.webdriver.common.by import By

    best = cards(browser)[0]
    assert best.find_element(By.CSS_SELECTOR, ".card-title").text == TITLE
    meta = re.match(r"Episode 12 · 0:(\d\d\.\d)", best.find_element(By.CSS_SELECTOR, ".meta").text)
    assert meta and abs(float(meta.group(1)) - 7.3) <= 1.0
    width = best.find_element(By.CSS_SELECTOR, ".sim-bar span").value_of_css_property("width")
    assert float(width.replace("px", "")) > 0


def _assert_clip_starts_at(browser, start: float) -> None:
    """The first card names the title and says the clip starts within 1 s of `start`, with at
    least 3 sampled frames agreeing."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 60).until(lambda d: "frames agree" in " ".join(
        e.text for e in d.find_elements(By.CSS_SELECTOR, ".card .meta")))
    best = cards(browser)[0]
    assert best.find_element(By.CSS_SELECTOR, ".card-title").text == TITLE
    meta = re.match(r"Episode 12 · starts 0:(\d\d\.\d) · (\d+) frames agree", best.find_element(By.CSS_SELECTOR, ".meta").text)
    assert meta and abs(float(meta.group(1)) - start) <= 1.0 and int(meta.group(2)) >= 3


def test_choose_a_file_finds_the_title_and_plays_the_scene(browser, page_server, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, page_server)
    browser.find_element(By.ID, "file").send_keys(str(screenshot))
    _assert_right_answer(browser)
    thumb = browser.find_element(By.CSS_SELECTOR, ".card .thumb")
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return arguments[0].naturalWidth", thumb) > 0)
    cards(browser)[0].click()
    state = WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "const v = document.querySelector('.card video');"
        "return v && (v.error ? 'error ' + v.error.code : (v.readyState >= 2 && v.videoWidth > 0 ? 'ok' : null));"))
    assert state == "ok"


def test_an_animated_gif_is_searched_as_a_clip(browser, page_server, shared_data, tmp_path):
    """Two seconds of episode 12 from 6.2 s, as an animated GIF: the page shows where it starts."""
    from selenium.webdriver.common.by import By

    from tests.videos import write_gif

    gif = write_gif(tmp_path / "clip.gif", window_frames(shared_data))
    open_page(browser, page_server)
    browser.find_element(By.ID, "file").send_keys(str(gif))
    _assert_clip_starts_at(browser, WINDOW_START)


@pytest.mark.parametrize("how", ["choose", "drop"])
def test_a_video_clip_is_searched_as_a_clip_and_played(browser, page_server, mp4_clip, how):
    """The page plays the clip in place of the picture and shows where it starts."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, page_server)
    if how == "choose":
        browser.find_element(By.ID, "file").send_keys(str(mp4_clip))
    else:
        browser.execute_script("""
            const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "clip.mp4", {type: "video/mp4"}));
            document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
            """, base64.b64encode(mp4_clip.read_bytes()).decode())
    _assert_clip_starts_at(browser, WINDOW_START)
    assert browser.find_element(By.ID, "query-title").get_attribute("textContent") == "Your clip"
    assert not browser.find_element(By.ID, "query").is_displayed()
    player = browser.find_element(By.ID, "query-video")
    assert player.is_displayed()
    width = WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "const v = arguments[0]; return v.error ? -1 : (v.readyState >= 2 ? v.videoWidth : null);", player))
    import av

    with av.open(str(mp4_clip)) as container:
        assert width == container.streams.video[0].width  # the browser decoded the clip itself


@pytest.mark.parametrize("how", ["drop", "paste"])
def test_drop_and_paste_find_the_title(browser, page_server, screenshot, how):
    open_page(browser, page_server)
    data = base64.b64encode(screenshot.read_bytes()).decode()
    browser.execute_script("""
        const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "shot.jpg", {type: "image/jpeg"}));
        if (arguments[1] === "drop") {
          document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        } else {
          document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
        }""", data, how)
    _assert_right_answer(browser)


def test_api_docs_render_without_internet(browser, page_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page_server.url + "/docs")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/search", "/identify", "/genres", "/titles", "/health", "/enroll"} <= paths


def test_faces_with_characters_and_genres_are_shown(browser, full_server, shared_data):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    face = sorted((shared_data / "characters" / "moeimouto10" / "test" / "002_suzumiya_haruhi").iterdir())[0]
    open_page(browser, full_server)
    browser.find_element(By.ID, "file").send_keys(str(face))
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#faces .who") and d.find_elements(By.CSS_SELECTOR, "#genres .chip"))
    assert browser.find_element(By.CSS_SELECTOR, "#faces .who").text == "suzumiya_haruhi"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#boxes .box")) == 1        # the detected face, boxed
    chips = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#genres .chip")]
    assert len(chips) == 3 and all(re.fullmatch(r"(Action|Comedy|Drama)\s*\d+%", c) for c in chips)
    assert not browser.find_element(By.ID, "error").is_displayed()


def test_a_clip_s_first_frame_gets_characters_and_genres(browser, full_server, shared_data, tmp_path):
    """A clip of a face: the page takes its first frame (the models take pictures), boxes the face
    and names the character, while the clip itself goes to the scene search."""
    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.videos import write_frames

    face = sorted((shared_data / "characters" / "moeimouto10" / "test" / "002_suzumiya_haruhi").iterdir())[0]
    still = np.asarray(Image.open(face).convert("RGB").resize((320, 320), Image.LANCZOS))
    clip = write_frames(tmp_path / "face.mp4", [np.roll(still, j, axis=1) for j in range(10)])
    open_page(browser, full_server)
    browser.find_element(By.ID, "file").send_keys(str(clip))
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#faces .who") and d.find_elements(By.CSS_SELECTOR, "#genres .chip"))
    assert browser.find_element(By.ID, "faces-title").get_attribute("textContent") == "Characters (first frame)"
    assert browser.find_element(By.CSS_SELECTOR, "#faces .who").text == "suzumiya_haruhi"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#boxes .box")) == 1
    assert len(browser.find_elements(By.CSS_SELECTOR, "#genres .chip")) == 3
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".card .meta, #results .empty"))
    assert not browser.find_element(By.ID, "error").is_displayed()


def test_face_boxes_stay_off_a_playing_clip_even_when_it_loops(browser, full_server, shared_data, tmp_path):
    """The boxes mark the clip's first frame. Until 2026-11-25 they came back over the playing clip
    at its first loop (a looping video seeks back to 0, and every seek to 0 showed them)."""
    import time

    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.videos import write_frames

    face = sorted((shared_data / "characters" / "moeimouto10" / "test" / "002_suzumiya_haruhi").iterdir())[0]
    still = np.asarray(Image.open(face).convert("RGB").resize((320, 320), Image.LANCZOS))
    clip = write_frames(tmp_path / "face.mp4", [np.roll(still, j, axis=1) for j in range(10)])  # 1 s
    open_page(browser, full_server)
    browser.find_element(By.ID, "file").send_keys(str(clip))
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#boxes .box")
                                     and "Done" in d.find_element(By.ID, "status").text)
    boxes = browser.find_element(By.ID, "boxes")
    assert boxes.is_displayed()
    state = "const v = document.getElementById('query-video'); return [v.paused, v.currentTime];"
    browser.execute_script("document.getElementById('query-video').play();")
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: d.execute_script(state)[1] > 0.5)
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: d.execute_script(state)[1] < 0.5)  # looped
    for _ in range(15):                                                           # on through the next turn
        paused, _ = browser.execute_script(state)
        assert not paused and not boxes.is_displayed()
        time.sleep(0.1)
    browser.execute_script("const v = document.getElementById('query-video'); v.pause(); v.currentTime = 0;")
    WebDriverWait(browser, 10).until(lambda d: boxes.is_displayed())              # still on the first frame
    # a picture chosen while the clip plays: its own boxes, over the picture, the clip unloaded
    browser.execute_script("document.getElementById('query-video').play();")
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: d.execute_script(state)[1] > 0.2)
    browser.find_element(By.ID, "file").send_keys(str(face))
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "query-title").get_attribute("textContent") == "Your image"
                                     and "Done" in d.find_element(By.ID, "status").text)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#boxes .box")) == 1 and boxes.is_displayed()
    assert browser.find_element(By.ID, "query").is_displayed()
    assert browser.execute_script("return document.getElementById('query-video').getAttribute('src')") is None


def test_a_failure_inside_the_page_does_not_leave_it_busy(browser, page_server, screenshot):
    """Until 2026-11-25 an exception thrown inside the page's search (here: the browser refusing
    an object URL) left it busy, and every later drop was ignored."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, page_server)
    browser.execute_script("window._objectUrl = URL.createObjectURL;"
                           "URL.createObjectURL = () => { throw new Error('no object URLs today'); };")
    browser.find_element(By.ID, "file").send_keys(str(screenshot))
    WebDriverWait(browser, 30).until(lambda d: "no object URLs today" in d.find_element(By.ID, "error").text)
    assert browser.find_element(By.ID, "status").text == "Failed"
    browser.execute_script("URL.createObjectURL = window._objectUrl;")
    browser.find_element(By.ID, "file").send_keys(str(screenshot))
    _assert_right_answer(browser)
