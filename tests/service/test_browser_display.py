"""What the web page shows, in a real headless Chromium: times, the user's clip and the previews
taking clicks, keyboard focus, touch screens and narrow ones, animated pictures and their face
boxes, thumbnails and accessible names (from an audit of the page, 2026-11)."""
from __future__ import annotations

import base64
import time

import numpy as np
import pytest

from tests.service.browser_page import BROWSER_MARKS, cards, choose, open_page, settled, text

pytestmark = BROWSER_MARKS


def test_clock_rounds_before_it_splits_minutes_and_hours(browser, page_server):
    open_page(browser, page_server)
    values = [0, -1, 7.34, 59.94, 59.97, 60, 599.96, 1439.96, 3599.95, 3599.96, 3661.04, 36000]
    shown = browser.execute_script("return arguments[0].map(clock)", values)
    assert shown == ["0:00.0", "0:00.0", "0:07.3", "0:59.9", "1:00.0", "1:00.0", "10:00.0", "24:00.0",
                     "1:00:00.0", "1:00:00.0", "1:01:01.0", "10:00:00.0"]


def test_the_user_s_clip_takes_clicks_through_the_face_boxes_layer(browser, page_server, mp4_clip):
    """Until 2026-11 the (empty) boxes layer lay over the clip, and its controls took no click."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, page_server)
    choose(browser, mp4_clip)
    settled(browser)
    player = browser.find_element(By.ID, "query-video")
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return arguments[0].readyState >= 2", player))
    hit = """const r = arguments[0].getBoundingClientRect();
             return [[0.5, 0.5], [0.05, 0.95], [0.5, 0.95]].map(([x, y]) =>
               document.elementFromPoint(r.left + x * r.width, r.top + y * r.height).id);"""
    assert browser.execute_script(hit, player) == ["query-video"] * 3      # centre, play button, timeline
    # a face box is drawn over it like this one: clicks go through it too
    browser.execute_script("const b = document.createElement('div'); b.className = 'box';"
                           "b.style.cssText = 'left:0;top:0;width:100%;height:100%';"
                           "document.getElementById('boxes').appendChild(b); document.getElementById('boxes').hidden = false;")
    assert browser.execute_script(hit, player) == ["query-video"] * 3


@pytest.mark.parametrize("how", ["click", "space"])
def test_a_playing_scene_preview_pauses_when_clicked_or_on_space(browser, page_server, screenshot, how):
    """Until 2026-11 the card's own click handler played the preview again right after its
    controls paused it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, page_server)
    choose(browser, screenshot)
    cards(browser)[0].find_element(By.CSS_SELECTOR, ".body").click()
    playing = "const v = document.querySelector('.card video'); return !!v && !v.paused && v.currentTime > 0.1;"
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(playing))
    video = browser.find_element(By.CSS_SELECTOR, ".card video")
    if how == "click":
        video.click()
    else:
        browser.execute_script("arguments[0].focus()", video)
        video.send_keys(Keys.SPACE)
    time.sleep(0.5)
    assert browser.execute_script("return document.querySelector('.card video').paused")
    # the card outside the preview still toggles it
    cards(browser)[0].find_element(By.CSS_SELECTOR, ".body").click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(playing))


def test_keyboard_focus_on_a_card_is_visible_and_unlike_the_best_ring(browser, page_server, screenshot):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, page_server)
    choose(browser, screenshot)
    best = cards(browser)[0]
    assert "best" in best.get_attribute("class")
    browser.execute_script("arguments[0].focus()", cards(browser)[1])
    browser.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)      # to the best card, by keyboard
    assert browser.execute_script("return document.activeElement === arguments[0] && arguments[0].matches(':focus-visible')", best)
    style = browser.execute_script("const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth, s.outlineColor]", best)
    assert style[0] == "solid" and float(style[1].rstrip("px")) >= 2
    ring = browser.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert ring == "#ff7a59" and style[2] != "rgb(255, 122, 89)"


def test_the_page_names_its_own_icon(browser, page_server):
    """Without one, the browser asked for /favicon.ico: a 404 in the console at every load."""
    open_page(browser, page_server)
    assert browser.execute_script("return document.querySelector('link[rel=icon]')?.href || ''").startswith("data:image/svg+xml")


def test_one_frame_agrees_in_the_singular(browser, page_server):
    open_page(browser, page_server)
    browser.execute_script("renderResults({results: [{title: 'T', episode: 1, at: 3, from: 2, to: 4, frames: 1, "
                           "similarity: 0.95, thumbnail: '', video: '', file: 'f'}]})")
    meta = browser.execute_script("return document.querySelector('.card .meta').textContent")
    assert meta == "Episode 1 · starts 0:03.0 · 1 frame agrees"


def test_a_touch_screen_is_not_told_to_drop_or_press_ctrl_v(browser, page_server):
    from selenium.webdriver.common.by import By

    open_page(browser, page_server)
    drop = browser.find_element(By.ID, "drop")
    assert "Drop" in drop.text and "Ctrl" in drop.text
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        open_page(browser, page_server)
        assert browser.execute_script("return matchMedia('(pointer: coarse)').matches")
        text = browser.find_element(By.ID, "drop").text
        assert "Drop" not in text and "Ctrl" not in text and "choose" in text
    finally:
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def test_the_query_picture_is_lower_on_a_narrow_screen(browser, page_server, screenshot):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    try:
        open_page(browser, page_server)
        choose(browser, screenshot)
        settled(browser)
        assert browser.execute_script("return getComputedStyle(document.getElementById('query')).maxHeight") == "220px"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _face(shared_data):
    from PIL import Image

    face = sorted((shared_data / "characters" / "moeimouto10" / "test" / "002_suzumiya_haruhi").iterdir())[0]
    return np.asarray(Image.open(face).convert("RGB").resize((320, 320), Image.LANCZOS))


def test_an_animated_picture_s_face_boxes_stand_on_its_first_frame(browser, full_server, shared_data, tmp_path):
    """Until 2026-11 the boxes of an animated GIF stayed over the playing animation, where the face
    was in its first frame only."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.videos import write_gif

    still = _face(shared_data)
    gif = write_gif(tmp_path / "face.gif", [np.roll(still, 12 * j, axis=1) for j in range(10)])
    open_page(browser, full_server)
    choose(browser, gif)
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#boxes .box"))
    settled(browser)
    assert text(browser, "query-title") == "Your animated picture"
    assert text(browser, "faces-title") == "Characters (first frame)"
    assert browser.find_element(By.CSS_SELECTOR, "#faces .who").text == "suzumiya_haruhi"
    query, boxes, play = (browser.find_element(By.ID, i) for i in ("query", "boxes", "query-play"))
    assert query.is_displayed() and boxes.is_displayed()
    # the still shown is the GIF's first frame, a PNG drawn by the page
    assert browser.execute_script("return arguments[0].src.startsWith('blob:') && arguments[0].naturalWidth", query) == 320
    play.click()
    assert browser.find_element(By.ID, "query-anim").is_displayed()
    assert not boxes.is_displayed() and not query.is_displayed()
    assert play.text == "Show the first frame"
    play.click()
    assert boxes.is_displayed() and query.is_displayed() and not browser.find_element(By.ID, "query-anim").is_displayed()
    assert not browser.find_element(By.ID, "error").is_displayed()


def test_an_animated_picture_is_shown_by_a_server_without_characters(browser, page_server, shared_data, tmp_path):
    from selenium.webdriver.common.by import By

    from tests.videos import write_gif

    gif = write_gif(tmp_path / "clip.gif", [np.roll(_face(shared_data), 12 * j, axis=1) for j in range(5)])
    open_page(browser, page_server)
    choose(browser, gif)
    assert settled(browser).startswith("Done")
    query = browser.find_element(By.ID, "query")
    assert query.is_displayed() and browser.execute_script("return arguments[0].naturalWidth", query) == 320
    assert browser.find_element(By.ID, "query-play").is_displayed()


def test_animation_is_read_from_the_file_s_header(browser, page_server, shared_data, tmp_path):
    from PIL import Image

    from tests.videos import write_apng, write_gif, write_webp

    frames = [np.roll(_face(shared_data)[:64, :64], 8 * j, axis=1) for j in range(3)]
    files = {"anim.gif": write_gif(tmp_path / "anim.gif", frames),
             "anim.webp": write_webp(tmp_path / "anim.webp", frames),
             "anim.png": write_apng(tmp_path / "anim.png", frames)}
    for ext, fmt in (("gif", "GIF"), ("webp", "WEBP"), ("png", "PNG"), ("jpg", "JPEG")):
        Image.fromarray(frames[0]).save(tmp_path / f"still.{ext}", format=fmt)
        files[f"still.{ext}"] = tmp_path / f"still.{ext}"
    open_page(browser, page_server)
    found = browser.execute_async_script("""
        const [files, done] = arguments;
        Promise.all(Object.entries(files).map(async ([name, data]) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          return [name, await isAnimated(new File([bytes], name))];
        })).then((pairs) => done(Object.fromEntries(pairs)));""",
        {name: base64.b64encode(path.read_bytes()).decode() for name, path in files.items()})
    assert found == {"anim.gif": True, "anim.webp": True, "anim.png": True,
                     "still.gif": False, "still.webp": False, "still.png": False, "still.jpg": False}


def test_a_whole_picture_thumbnail_keeps_its_shape(browser, full_server, tmp_path):
    """A wide picture with no face: its thumbnail is its centre, not the whole squashed square."""
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wide = np.zeros((80, 320, 3), np.uint8)
    wide[:, :107] = (220, 30, 30)
    wide[:, 107:213] = (30, 220, 30)
    wide[:, 213:] = (30, 30, 220)
    path = tmp_path / "wide.png"
    Image.fromarray(wide).save(path)
    open_page(browser, full_server)
    choose(browser, path)
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#faces canvas"))
    assert "whole picture" in browser.find_element(By.CSS_SELECTOR, "#faces .who").text
    canvas = browser.find_element(By.CSS_SELECTOR, "#faces canvas")
    corners = browser.execute_script("""const c = arguments[0].getContext('2d');
        return [[4, 48], [91, 48]].map(([x, y]) => Array.from(c.getImageData(x, y, 1, 1).data.slice(0, 3)));""", canvas)
    assert all(g > 150 and r < 100 and b < 100 for r, g, b in corners), corners   # green at both edges


def test_thumbnails_the_user_s_clip_and_the_drop_zone_have_names(browser, full_server, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "flat.png"
    Image.fromarray(np.full((80, 120, 3), 128, np.uint8)).save(path)
    open_page(browser, full_server)
    choose(browser, path)
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#faces canvas"))
    canvas = browser.find_element(By.CSS_SELECTOR, "#faces canvas")
    assert canvas.get_attribute("role") == "img" and "whole picture" in canvas.get_attribute("aria-label")
    assert browser.find_element(By.ID, "query-video").get_attribute("aria-label")
    drop = browser.find_element(By.ID, "drop")
    assert drop.get_attribute("role") == "button" and drop.get_attribute("aria-label")
