"""What a Python caller gets from `search_clip`: a `ClipAnswer` whose `to_dict()` is the JSON the CLI
prints for the clip (it used to hold only the sampling, losing every hit) and which reads like the
list `search` returns; and a URL given as a clip is named a URL, not a missing "https:/x" file."""
import json

import pytest

from animeid.distribute.sharded_index import open_index
from animeid.errors import BadImage, BadVideo
from animeid.media.images import load_image
from animeid.scenes.clip_search import ClipAnswer, ClipHit
from animeid.scenes.hits import SceneHit
from animeid.scenes.index import Index
from tests.scenes.test_clip_search import write_window


def _answer() -> ClipAnswer:
    hits = [ClipHit(SceneHit("T", 1, "a.mp4", 1.0, 1.0, 3.0, 0.9, 7), 5),
            ClipHit(SceneHit("T", 2, "b.mp4", 4.0, 4.0, 6.0, 0.7, 9), 2)]
    return ClipAnswer(hits, sampled=5, seconds=2.00049)


def test_to_dict_holds_the_hits_and_the_clip_summary():
    answer = _answer()
    assert answer.summary() == {"frames": 5, "seconds": 2.0}
    assert answer.to_dict() == {"results": [h.to_dict() for h in answer.hits], "clip": answer.summary()}
    assert json.loads(json.dumps(answer.to_dict()))["results"][1]["file"] == "b.mp4"


def test_a_clip_answer_reads_like_the_list_of_hits():
    answer = _answer()
    assert len(answer) == 2 and answer[0] is answer.hits[0] and answer[-1] is answer.hits[1]
    assert list(answer) == answer.hits and answer[:1] == answer.hits[:1]
    assert [h.scene.file for h in answer] == ["a.mp4", "b.mp4"]
    assert not ClipAnswer([], 3, 1.0) and len(ClipAnswer([], 3, 1.0)) == 0


def test_to_dict_is_what_the_cli_prints_for_the_clip(scene_db, tmp_path, capsys):
    from animeid.cli.main import main

    clip = tmp_path / "window.gif"
    write_window(clip, 13, 21)
    answer = Index.load(scene_db).search_clip(clip, k=2)
    capsys.readouterr()
    assert main(["search", str(clip), "--db", str(scene_db), "--k", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)[0]
    assert printed == {"image": str(clip), **answer.to_dict(), "error": None}
    assert list(printed) == ["image", "results", "error", "clip"]   # the CLI's order, as before


@pytest.mark.parametrize("url", ["https://x/a.gif", "http://example.com/clip.mp4"])
def test_a_url_given_as_a_clip_is_named_a_url(scene_db, sharded_scene_db, url):
    with pytest.raises(BadImage) as image_error:
        load_image(url)
    for folder in (scene_db, sharded_scene_db):
        index = open_index(folder)
        with pytest.raises(BadVideo) as clip_error:
            index.search_clip(url)
        index.close()
        assert str(clip_error.value) == str(image_error.value).replace("download the image", "download the clip")
        assert str(clip_error.value).startswith(f"{url}: a URL; animeid fetches nothing from the network")


def test_a_clip_hit_reads_like_a_screenshot_hit():
    """The README's three lines (`hits[0].title, hits[0].episode, hits[0].at`) work on a clip's
    answer too: a `ClipHit` reads its scene's fields through (it raised AttributeError)."""
    import copy
    import pickle

    hit = _answer()[0]
    assert (hit.title, hit.episode, hit.file, hit.from_, hit.at, hit.to, hit.similarity, hit.entry_id,
            hit.held, hit.frames) == ("T", 1, "a.mp4", 1.0, 1.0, 3.0, 0.9, 7, None, 5)
    with pytest.raises(AttributeError, match="no_such_field"):
        hit.no_such_field
    assert copy.deepcopy(hit) == hit and pickle.loads(pickle.dumps(hit)) == hit
