import json

import pytest

from animeid.distribute.shard_plan import is_sharded, parse_shard, read_plan, shard_folder, shard_of, write_plan
from animeid.errors import AnimeidError


def test_shard_of_is_stable_and_in_range():
    paths = [f"Title {i}/Title {i} - {e:02d}.mkv" for i in range(20) for e in range(12)]
    shards = [shard_of(p, 4) for p in paths]
    assert shards == [shard_of(p, 4) for p in paths]          # every machine agrees
    assert set(shards) == {0, 1, 2, 3}
    # 240 files spread over 4 shards: none is starved or flooded
    assert all(30 <= shards.count(s) <= 90 for s in range(4))
    assert all(shard_of(p, 1) == 0 for p in paths)


def test_parse_shard():
    assert parse_shard("3/8") == (3, 8)
    for bad in ("8/8", "-1/4", "a/b", "3", "1/0"):
        with pytest.raises(AnimeidError):
            parse_shard(bad)


def test_plan_is_written_once_and_never_resplit(tmp_path):
    db = tmp_path / "db"
    write_plan(db, 4, "efficientnet-lite0")
    assert is_sharded(db) and read_plan(db) == {"shards": 4, "embedder": "efficientnet-lite0"}
    write_plan(db, 4, "efficientnet-lite0")                   # the same plan again is fine
    with pytest.raises(AnimeidError, match="is split into 4 shards, not 2"):
        write_plan(db, 2, "efficientnet-lite0")
    with pytest.raises(AnimeidError, match="built with embedder 'efficientnet-lite0', not 'color-layout'"):
        write_plan(db, 4, "color-layout")
    assert json.loads((db / "shards.json").read_text())["shards"] == 4
    assert shard_folder(db, 3) == db / "shard-003"


def test_plan_refuses_a_folder_holding_other_things(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(AnimeidError, match="not empty"):
        write_plan(tmp_path, 2, "efficientnet-lite0")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_damaged_plan_is_reported(tmp_path):
    (tmp_path / "shards.json").write_text("{broken")
    with pytest.raises(AnimeidError, match="damaged"):
        read_plan(tmp_path)


@pytest.mark.parametrize("shards", [0, -1, 99999999999999999999])
def test_a_plan_with_an_impossible_shard_count_is_damaged(tmp_path, shards):
    """A huge count had `search` and `info` probe that many shard folders (a hang); a count below 1
    was reported as "none of its -1 shards has been built yet"."""
    (tmp_path / "shards.json").write_text(json.dumps({"shards": shards, "embedder": "efficientnet-lite0"}))
    with pytest.raises(AnimeidError, match=f"shards.json is damaged \\(it plans {shards} shards, not 1 to 4096\\)"):
        read_plan(tmp_path)


def test_plan_on_a_plain_index_names_the_mistake(scene_db, tmp_path):
    """`--shards` added to a re-run of an index built without it: "not empty and holds no shard
    plan" did not say that the folder is an index, nor what to do."""
    import shutil

    db = tmp_path / "db"
    shutil.copytree(scene_db, db)
    with pytest.raises(AnimeidError, match="holds an index built without --shards; re-run without --shards"):
        write_plan(db, 2, "efficientnet-lite0")
    assert not (db / "shards.json").exists()
