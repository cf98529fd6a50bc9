"""The command line as a user meets it: exit codes, JSON shapes, one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from animeid.cli.main import main
from animeid.media.video import frames_at

ROOT = Path(__file__).resolve().parents[2]


def test_search_json_answers_each_input_in_order(lib_and_db, tmp_path, capsys):
    lib, db = lib_and_db
    shot = tmp_path / "shot.jpg"
    Image.fromarray(frames_at(lib / "Beta" / "[Grp] Beta S01E03 [720p].mkv", [2.3])[0]).save(shot, quality=60)
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    capsys.readouterr()
    code = main(["search", str(shot), str(tmp_path / "bad.jpg"), str(tmp_path / "missing.png"), str(shot),
                 "--db", str(db), "--k", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [o["image"] for o in out] == [str(shot), str(tmp_path / "bad.jpg"), str(tmp_path / "missing.png"), str(shot)]
    first = out[0]
    assert first["error"] is None and len(first["results"]) <= 2
    top = first["results"][0]
    assert set(top) >= {"title", "episode", "file", "from", "at", "to", "similarity"}
    assert top["title"] == "Beta" and top["episode"] == 3 and abs(top["at"] - 2.3) <= 1.0
    assert "not a readable image" in out[1]["error"] and out[1]["results"] == []
    assert "no such file" in out[2]["error"]
    assert out[3]["results"][0]["title"] == "Beta"


def test_search_answers_clips_beside_screenshots(lib_and_db, tmp_path, capsys):
    from tests.scenes.test_clip_search import write_window

    lib, db = lib_and_db
    clip = tmp_path / "window.gif"
    write_window(clip, 13, 21)            # 1.3 s .. 3.3 s of 'Alpha - 02'
    shot = tmp_path / "shot.png"
    Image.fromarray(frames_at(lib / "Beta" / "[Grp] Beta S01E03 [720p].mkv", [2.3])[0]).save(shot)
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    capsys.readouterr()
    code = main(["search", str(clip), str(tmp_path / "broken.mp4"), str(shot), "--db", str(db), "--k", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out[0]["error"] is None and out[0]["clip"] == {"frames": 5, "seconds": 2.0}
    top = out[0]["results"][0]
    assert top["file"] == "Alpha/Alpha - 02.mp4" and abs(top["at"] - 1.3) <= 0.5 and top["frames"] >= 4
    assert "broken.mp4" in out[1]["error"] and out[1]["results"] == [] and "clip" not in out[1]
    assert "clip" not in out[2] and out[2]["results"][0]["title"] == "Beta"
    assert main(["search", str(clip), "--db", str(db), "--k", "1"]) == 0
    text = capsys.readouterr().out
    assert "(clip: 5 frames over 2.0 s)" in text and "starts at 0:01." in text and "frames agree" in text


def test_broken_clips_are_one_line_errors_beside_answered_inputs(lib_and_db, tmp_path, capsys):
    import av
    import numpy as np

    from tests.videos import write_frames

    lib, db = lib_and_db
    real = lib / "Alpha" / "Alpha - 02.mp4"
    data = real.read_bytes()
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "half.mp4").write_bytes(data[: len(data) // 2])          # its index (moov) is at the end
    (tmp_path / "noise.webm").write_bytes(np.random.default_rng(1).bytes(4000))
    (tmp_path / "folder.mp4").mkdir()
    write_frames(tmp_path / "tiny.mp4", [np.full((4, 6, 3), 9 * g, np.uint8) for g in range(10)])
    with av.open(str(tmp_path / "sound.mp4"), "w") as out:             # audio only
        stream = out.add_stream("aac", rate=8000)
        for i in range(4):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 8000, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    one = write_frames(tmp_path / "one.mp4", [frames_at(real, [2.5])[0]])   # one frame: a clip of one
    bad = ["empty.mp4", "half.mp4", "noise.webm", "folder.mp4", "tiny.mp4", "sound.mp4", "gone.gif"]
    inputs = [str(real), *(str(tmp_path / b) for b in bad), str(one)]
    capsys.readouterr()
    assert main(["search", *inputs, "--db", str(db), "--k", "1"]) == 1
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == len(bad) and "Traceback" not in captured.err
    for name, line in zip(bad, errors):
        assert line.startswith("animeid: error: ") and name in line
    assert "6x4, too small" in errors[4] and "no video stream" in errors[5]
    lines = captured.out.splitlines()
    # the whole episode: one answer at its start; the one-frame clip: "1 frame"
    assert lines[0].startswith(str(real)) and "starts at 0:00.00, 12/12 frames agree" in lines[1]
    assert lines[2] == f"{one}  (clip: 1 frame over 0.0 s)" and "Alpha ep 2  starts at 0:02." in lines[3]


def test_errors_are_one_line_and_nonzero(tmp_path, capsys):
    assert main(["search", "x.jpg", "--db", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("animeid: error:") and "nothing: no such folder; build one with `animeid index" in err
    assert "\n" not in err
    assert main(["index", str(tmp_path / "nolib"), "--db", str(tmp_path / "db")]) == 2
    assert "no such library" in capsys.readouterr().err
    assert main(["index", str(tmp_path), "--db", str(tmp_path / "db2"), "--fps", "0"]) == 2
    assert "--fps" in capsys.readouterr().err


def test_a_newline_in_a_name_does_not_split_an_error_line(lib_and_db, tmp_path, capsys):
    """A file name may hold a newline: printed as it was, one error read as two lines, the second
    without its `animeid: error:` prefix."""
    _, db = lib_and_db
    bad = tmp_path / "two\nlines.jpg"
    bad.write_bytes(b"not an image")
    assert main(["search", str(bad), "--db", str(db), "--no-frames"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {tmp_path}/two\\nlines.jpg: not a readable image") and err.count("\n") == 1
    assert main(["info", "--db", str(tmp_path / "no\nindex")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {tmp_path}/no\\nindex: no such folder") and err.count("\n") == 1
    title = tmp_path / "lib" / "Odd\nTitle"
    title.mkdir(parents=True)
    (title / "ep\n1.mp4").write_bytes(b"not a video")
    assert main(["index", str(tmp_path / "lib"), "--db", str(tmp_path / "db"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: ") and "Odd\\nTitle/ep\\n1.mp4" in err and err.count("\n") == 1


def test_a_newline_in_a_title_or_file_name_keeps_each_answer_on_one_line(tmp_path, capsys):
    """Answers on stdout are read line by line as well: a title folder or file name holding a
    newline printed one answer over two lines."""
    from tests.videos import write_clip

    video = write_clip(tmp_path / "lib" / "Odd\nTitle" / "Odd - 01\n.mp4", [3, 4])
    db = tmp_path / "db"
    assert main(["index", str(tmp_path / "lib"), "--db", str(db), "--no-progress"]) == 0
    shot = tmp_path / "shot\n.png"
    Image.fromarray(frames_at(video, [0.7])[0]).save(shot, format="PNG")
    capsys.readouterr()
    assert main(["search", str(shot), "--db", str(db), "--k", "1", "--no-frames"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{tmp_path}/shot\\n.png" and len(lines) == 2
    assert "Odd\\nTitle ep 1" in lines[1] and lines[1].endswith("Odd\\nTitle/Odd - 01\\n.mp4")


def test_an_empty_argument_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    """An unset shell variable: "" would be taken as the current folder and indexed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Alpha").mkdir()
    assert main(["index", "", "--db", str(tmp_path / "db")]) == 2
    assert capsys.readouterr().err.strip() == "animeid: error: argument 2 is empty (an unset shell variable?)"
    assert not (tmp_path / "db").exists()


def test_other_embedder_refused_by_cli(lib_and_db, capsys):
    lib, db = lib_and_db
    assert main(["index", str(lib), "--db", str(db), "--embedder", "color-layout", "--no-progress"]) == 2
    assert "built with embedder 'efficientnet-lite0'" in capsys.readouterr().err


def test_info_and_embedders(lib_and_db, capsys):
    _, db = lib_and_db
    assert main(["info", "--db", str(db)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["files"] == 3 and [t["title"] for t in info["titles"]] == ["Alpha", "Beta"]
    assert main(["embedders"]) == 0
    assert "efficientnet-lite2" in capsys.readouterr().out


def test_console_script_runs_as_a_process(lib_and_db):
    _, db = lib_and_db
    proc = subprocess.run([sys.executable, "-m", "animeid.cli.main", "info", "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)["embedder"] == "efficientnet-lite0"


@pytest.mark.slow
def test_readme_main_job_command(tmp_path):
    """The README's first command, as a script would run it (no server)."""
    import os

    env = {**os.environ, "ANIMEID_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "animeid.cli.main", "demo", "--no-serve", "--json"],
                          capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    top = answer["results"][0]
    assert top["title"] == "Big Buck Bunny" and top["episode"] == 1
    assert abs(top["at"] - answer["truth"]["at"]) <= 1.0
    assert answer["perturbations"] == ["crop70", "mirror", "captions", "jpeg_q30"]


def test_python_dash_m_runs_the_same_command_line():
    out = subprocess.run([sys.executable, "-m", "animeid", "embedders"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0 and "efficientnet-lite0" in out.stdout


def test_a_reader_that_goes_away_ends_quietly(tmp_path, monkeypatch, capsys):
    class ClosedPipe:
        """stdout whose reader has gone (`animeid ... | head`)."""

        def __init__(self, f):
            self.f = f

        def write(self, s):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

        def fileno(self):
            return self.f.fileno()

    with open(tmp_path / "sink", "w") as sink:
        monkeypatch.setattr(sys, "stdout", ClosedPipe(sink))
        assert main(["embedders"]) == 141
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("meta, text", [
    ({"val": {"loss": float("nan")}}, "none (no validation split"),
    ({"val": {}}, "none (no validation split"),
    ({"val": {"loss": 0.25, "knn_accuracy": 0.9}}, "loss 0.2500, knn_accuracy 0.9000"),
])
def test_training_summary_says_when_there_was_no_validation(meta, text):
    from animeid.cli.train import _validation

    assert _validation(meta).startswith(text)


def test_search_places_answers_on_frames_unless_told_not_to(lib_and_db, tmp_path, capsys):
    from animeid.config import SearchCfg
    from animeid.scenes.index import Index
    from tests.videos import scene_frame

    lib, db = lib_and_db
    shot = tmp_path / "crop.png"
    Image.fromarray(scene_frame(1, 1.3)[12:132, 16:176]).save(shot)   # Alpha 01 at 1.3 s, cropped
    answers = {}
    for flags in ([], ["--no-frames"]):
        capsys.readouterr()
        assert main(["search", str(shot), "--db", str(db), "--k", "1", "--json", *flags]) == 0
        answers[bool(flags)] = json.loads(capsys.readouterr().out)[0]["results"][0]
    assert answers[False]["file"] == answers[True]["file"] == "Alpha/Alpha - 01.mp4"
    assert abs(answers[False]["at"] - 1.3) <= 0.1
    index_only = Index.load(db).search(shot, k=1, cfg=SearchCfg(frame_placement=False))[0]
    assert answers[True]["at"] == round(index_only.at, 3)


def test_argparse_mistakes_are_one_error_line_too(capsys):
    """A missing --db or an unknown command: argparse printed a usage block, then a line prefixed
    `animeid index: error:`, unlike every other mistake."""
    for argv, says in [(["index", "lib"], "animeid index: the following arguments are required: --db "
                                          "(see `animeid index --help`)"),
                       (["frob"], "animeid: error: argument COMMAND: invalid choice: 'frob'")]:
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("animeid: error: ") and says in err and err.count("\n") == 1, err
        assert err.count("animeid:") == 1, err   # the top-level parser's name said twice


def test_a_weak_best_answer_is_flagged_as_the_web_page_flags_it(lib_and_db, tmp_path, capsys):
    lib, db = lib_and_db
    shot, noise = tmp_path / "shot.png", tmp_path / "noise.png"
    Image.fromarray(frames_at(lib / "Beta" / "[Grp] Beta S01E03 [720p].mkv", [2.3])[0]).save(shot)
    import numpy as np

    Image.fromarray(np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)).save(noise)
    capsys.readouterr()
    assert main(["search", str(shot), str(noise), "--db", str(db), "--k", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == str(shot) and out[2] == str(noise)
    assert float(out[1].split()[0]) >= 0.8 and float(out[3].split()[0]) < 0.8
    assert out[4].startswith("  (low similarity") and len(out) == 5   # only under the weak one
    assert main(["search", str(noise), "--db", str(db), "--k", "1", "--json"]) == 0
    assert "low similarity" not in capsys.readouterr().out          # the JSON keeps its shape
