"""Animated WebP and APNG (what chat bots receive) are clips, as animated GIFs are: told from
still pictures by their bytes or by Pillow, sampled at their frames' own durations (WebP through
Pillow, which FFmpeg cannot decode; APNG through PyAV), held to the same limits, and found at
their start in the generated library."""
from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from animeid.config import ClipCfg, ImageLimits
from animeid.errors import BadVideo
from animeid.scenes.clip_search import clip_suffix, is_clip, sample_clip
from animeid.scenes.index import Index
from tests.scenes.test_clip_search import ALPHA_02_SEEDS
from tests.videos import scene_frame, write_apng, write_webp

WRITERS = {"webp": lambda p, f, **kw: write_webp(p, f, lossless=True, **kw), "apng": write_apng}


def moving(n: int, seed: int = 5) -> list[np.ndarray]:
    """n frames of a scene whose square moves 4 px a frame: no two alike."""
    return [scene_frame(seed, g / 10) for g in range(n)]


def still_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(scene_frame(1, 0.0)).save(buf, format=fmt)
    return buf.getvalue()


def first_frame_only(data: bytes) -> bytes:
    """An animated WebP or PNG cut down to its first frame, its header still announcing an
    animation (the VP8X flag; an acTL chunk, now of one frame)."""
    if data[:4] == b"RIFF":
        chunks, pos, seen = [], 12, 0
        while pos < len(data):
            length = int.from_bytes(data[pos + 4:pos + 8], "little")
            chunk = data[pos:pos + 8 + length + (length & 1)]
            seen += chunk[:4] == b"ANMF"
            chunks += [chunk] if chunk[:4] != b"ANMF" or seen == 1 else []
            pos += len(chunk)
        body = b"WEBP" + b"".join(chunks)
        return b"RIFF" + len(body).to_bytes(4, "little") + body
    chunks, pos, frames = [], 8, 0
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, chunk = data[pos + 4:pos + 8], data[pos:pos + 12 + length]
        frames += kind == b"fcTL"
        if kind == b"acTL":
            payload = (1).to_bytes(4, "big") + chunk[12:16]
            chunk = chunk[:8] + payload + zlib.crc32(b"acTL" + payload).to_bytes(4, "big")
        if frames <= 1 or kind == b"IEND":
            chunks.append(chunk)
        pos += len(chunk)
    return data[:8] + b"".join(chunks)


def test_uploads_of_animated_webp_and_png_are_clips_and_still_ones_pictures(tmp_path):
    webp = write_webp(tmp_path / "a.webp", moving(6)).read_bytes()
    apng = write_apng(tmp_path / "a.png", moving(6)).read_bytes()
    assert clip_suffix(webp) == ".webp" and clip_suffix(apng) == ".apng"
    assert clip_suffix(still_bytes("WEBP")) is None and clip_suffix(still_bytes("PNG")) is None
    # a still WebP with a VP8X chunk (for its EXIF) is no animation
    buf = io.BytesIO()
    Image.fromarray(scene_frame(1, 0.0)).save(buf, format="WEBP", exif=Image.Exif().tobytes())
    assert buf.getvalue()[12:16] == b"VP8X" and clip_suffix(buf.getvalue()) is None
    # an animation of one frame shows one picture, whatever its header announces
    one_webp, one_apng = first_frame_only(webp), first_frame_only(apng)
    assert one_webp[20] & 0x02 and b"acTL" in one_apng and Image.open(io.BytesIO(one_webp)).n_frames == 1
    assert clip_suffix(one_webp) is None and clip_suffix(one_apng) is None
    for data in (webp, apng):   # cut inside their headers: not a clip, the image loader explains
        for n in (4, 12, 16, 21, 40, 60):
            assert clip_suffix(data[:n]) is None, (data[:4], n)
    assert clip_suffix(webp[:len(webp) // 2]) is None       # libwebp demuxes no part of a file
    assert clip_suffix(b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x02") is None


def test_what_is_a_clip_among_webp_and_png_files(tmp_path):
    write_webp(tmp_path / "moving.webp", moving(4))
    write_apng(tmp_path / "moving.png", moving(4))
    write_apng(tmp_path / "moving.APNG", moving(4))
    Image.fromarray(scene_frame(1, 0.0)).save(tmp_path / "still.webp")
    Image.fromarray(scene_frame(1, 0.0)).save(tmp_path / "still.png")
    Image.fromarray(scene_frame(1, 0.0)).save(tmp_path / "still.apng", format="PNG")
    (tmp_path / "broken.webp").write_bytes(b"RIFF\x10\0\0\0WEBPVP8X garbage")
    assert is_clip(tmp_path / "moving.webp") and is_clip(str(tmp_path / "moving.png"))
    assert is_clip(tmp_path / "moving.APNG")
    assert not is_clip(tmp_path / "still.webp") and not is_clip(tmp_path / "still.png")
    assert not is_clip(tmp_path / "still.apng") and not is_clip(tmp_path / "broken.webp")
    assert not is_clip(tmp_path / "missing.webp")


@pytest.mark.parametrize("kind", ["webp", "apng"])
def test_frames_are_timed_by_their_durations(tmp_path, kind):
    frames = moving(12)                                     # 100 ms each: 1.2 s
    clip = WRITERS[kind](tmp_path / f"c.{kind}", frames)
    assert is_clip(clip)
    got = sample_clip(clip, ClipCfg(fps=2.0), short_side=None)
    assert [round(t, 3) for t, _ in got] == [0.0, 0.5, 1.0]
    for (t, rgb), g in zip(got, (0, 5, 10)):                # each the frame shown then, whole
        assert rgb.shape == (144, 192, 3) and np.array_equal(rgb, frames[g])
    # uneven durations: frames start at 0, 0.2, 0.5, 0.6, 1.0 and the clip ends at 1.1 s
    uneven = WRITERS[kind](tmp_path / f"u.{kind}", moving(5), delay_ms=[200, 300, 100, 400, 100])
    got = sample_clip(uneven, ClipCfg(fps=2.0), short_side=None)
    assert [round(t, 3) for t, _ in got] == [0.0, 0.5, 1.0]
    assert np.array_equal(got[1][1], moving(5)[2]) and np.array_equal(got[2][1], moving(5)[4])


@pytest.mark.parametrize("kind", ["webp", "apng"])
def test_sampling_keeps_to_max_frames_seconds_size_and_pixel_budget(tmp_path, kind):
    clip = WRITERS[kind](tmp_path / f"c.{kind}", moving(40))                      # 4 s
    assert is_clip(clip)
    frames = sample_clip(clip, ClipCfg(fps=2.0, max_frames=4), short_side=None)
    assert [round(t, 1) for t, _ in frames] == [0.0, 1.0, 2.0, 3.0]              # slowed down to spread 4
    short = sample_clip(clip, ClipCfg(fps=2.0, max_seconds=1.2), short_side=72)
    assert [round(t, 1) for t, _ in short] == [0.0, 0.5, 1.0] and short[0][1].shape == (72, 96, 3)
    budget = sample_clip(clip, ClipCfg(fps=2.0, max_decoded_pixels=192 * 144 * 10), short_side=None)
    assert [round(t, 1) for t, _ in budget] == [0.0, 0.5]                         # 10 frames: the first second
    with pytest.raises(BadVideo, match=f"c.{kind}: frames are 192x144, above the 1,000-pixel limit"):
        sample_clip(clip, ClipCfg(), 288, ImageLimits(max_pixels=1000))
    tiny = WRITERS[kind](tmp_path / f"tiny.{kind}", [np.full((4, 6, 3), 40 * g, np.uint8) for g in range(4)])
    with pytest.raises(BadVideo, match=f"tiny.{kind}: frames are 6x4, too small"):
        sample_clip(tiny, ClipCfg(), 288)


def test_a_webp_of_zero_delays_plays_at_100_ms_a_frame(tmp_path):
    clip = write_webp(tmp_path / "fast.webp", moving(12), delay_ms=0)
    assert [round(t, 3) for t, _ in sample_clip(clip, ClipCfg(fps=2.0), None)] == [0.0, 0.5, 1.0]


def test_sampling_a_webp_stops_decoding_at_max_frames(tmp_path, monkeypatch):
    from PIL import WebPImagePlugin

    clip = write_webp(tmp_path / "c.webp", moving(40))
    decoded = []
    real = WebPImagePlugin.WebPImageFile.load

    def counting(im):
        decoded.append(im.tell())
        return real(im)

    monkeypatch.setattr(WebPImagePlugin.WebPImageFile, "load", counting)
    frames = sample_clip(clip, ClipCfg(fps=2.0, max_frames=2, max_seconds=1.0), short_side=None)
    assert [round(t, 1) for t, _ in frames] == [0.0, 0.5]
    assert max(decoded) == 5                                # not on to the frame at 1.0 s


@pytest.mark.parametrize("kind", ["webp", "apng"])
def test_a_corrupt_or_truncated_animation_is_a_clear_error(tmp_path, kind):
    intact = WRITERS[kind](tmp_path / f"c.{kind}", moving(6))
    assert is_clip(intact) and len(sample_clip(intact, ClipCfg(fps=10.0), 288)) == 6
    data = intact.read_bytes()
    for name, body in ((f"cut.{kind}", data[:len(data) // 3]), (f"head.{kind}", data[:40]),
                       (f"junk.{kind}", data[:16] + np.random.default_rng(0).bytes(400))):
        (tmp_path / name).write_bytes(body)
        with pytest.raises(BadVideo, match=name.replace(".", r"\.")) as err:
            sample_clip(tmp_path / name, ClipCfg(), 288)
        assert "\n" not in str(err.value)
    with pytest.raises(BadVideo, match="no such file"):
        sample_clip(tmp_path / f"gone.{kind}", ClipCfg(), 288)


def test_a_webp_frame_that_fails_to_decode_ends_the_clip_there(tmp_path):
    data = bytearray(write_webp(tmp_path / "c.webp", moving(10), lossless=True).read_bytes())
    anmf = [i for i in range(len(data)) if data[i:i + 4] == b"ANMF"]
    first, third = anmf[0], anmf[2]
    data[third + 60:third + 200] = np.random.default_rng(0).bytes(140)       # inside frame 2's pixels
    (tmp_path / "late.webp").write_bytes(bytes(data))
    assert [round(t, 1) for t, _ in sample_clip(tmp_path / "late.webp", ClipCfg(fps=10.0), None)] == [0.0, 0.1]
    data[first + 60:first + 200] = np.random.default_rng(1).bytes(140)       # and frame 0's
    (tmp_path / "first.webp").write_bytes(bytes(data))
    with pytest.raises(BadVideo, match=r"first\.webp: cannot decode"):
        sample_clip(tmp_path / "first.webp", ClipCfg(), None)


def test_a_webp_over_pils_bomb_warning_is_still_a_clip(tmp_path, monkeypatch, recwarn):
    clip = write_webp(tmp_path / "moving.webp", moving(4))                      # 192x144 = 27,648 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)                     # warns above, refuses above 2x
    assert is_clip(clip) and clip_suffix(clip.read_bytes()) == ".webp"
    assert len(sample_clip(clip, ClipCfg(fps=10.0), None)) == 4
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


@pytest.mark.parametrize("kind", ["webp", "apng"])
def test_an_animation_cut_from_the_library_is_found_at_its_start(scene_db, tmp_path, kind):
    # 1.3 s .. 3.3 s of 'Alpha - 02' (tests/videos.make_library: 2 s per scene at 10 fps), as a
    # chat app would send it: 100 ms a frame, the WebP lossy
    frames = [scene_frame(ALPHA_02_SEEDS[g // 20], g / 10) for g in range(13, 34)]
    clip = {"webp": write_webp, "apng": write_apng}[kind](tmp_path / f"window.{kind}", frames)
    assert is_clip(clip)
    answer = Index.load(scene_db).search_clip(clip, k=3)
    assert answer.sampled == 5 and answer.seconds == pytest.approx(2.0, abs=0.05)
    top = answer.hits[0]
    assert top.scene.file == "Alpha/Alpha - 02.mp4" and top.scene.episode == 2
    assert abs(top.scene.at - 1.3) <= 0.5 and top.frames >= 3      # most frames agree (lossy WebP: 3 of 5)


def test_frames_after_the_riff_end_are_not_counted_in_the_window(tmp_path):
    """libwebp reads no further than the size the RIFF header gives, so frames in chunks after it
    (a writer that appended frames without updating the header) are never shown. Until 2026-11-25
    webp_timings walked to the end of the file and counted them: a 4 s clip followed by 4 s of such
    chunks was timed as 8 s, and its 4 frames spread over 8 s, two of them past its last frame."""
    from animeid.scenes.clip_frames_pillow import webp_timings

    data = write_webp(tmp_path / "c.webp", moving(40), lossless=True).read_bytes()   # 4 s
    (tmp_path / "long.webp").write_bytes(data + data[12:])      # its chunks again, outside the RIFF size
    assert Image.open(tmp_path / "long.webp").n_frames == 40
    assert len(webp_timings(tmp_path / "long.webp")[1]) == 40
    frames = sample_clip(tmp_path / "long.webp", ClipCfg(fps=2.0, max_frames=4), short_side=None)
    assert [round(t, 1) for t, _ in frames] == [0.0, 1.0, 2.0, 3.0]
