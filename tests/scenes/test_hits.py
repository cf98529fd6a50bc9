from animeid.scenes.hits import FrameHit, merge_scenes


def hit(i, file, t0, t1, sim):
    return FrameHit(i, file, "T", 1, t0, (t0 + t1) / 2, t1, sim)


def test_adjacent_equally_good_hits_form_one_scene():
    hits = [hit(1, "a.mp4", 10.0, 10.5, 0.95), hit(2, "a.mp4", 11.0, 11.0, 0.94), hit(3, "a.mp4", 13.0, 14.0, 0.945)]
    scenes = merge_scenes(hits, gap_s=4.0)
    assert len(scenes) == 1
    s = scenes[0]
    assert (s.from_, s.at, s.to, s.similarity, s.entry_id) == (10.0, 10.25, 14.0, 0.95, 1)


def test_far_or_much_worse_hits_stay_separate_and_best_first():
    hits = [hit(1, "a.mp4", 10.0, 10.0, 0.90), hit(2, "a.mp4", 30.0, 30.0, 0.97),
            hit(3, "a.mp4", 11.0, 11.0, 0.70), hit(4, "b.mp4", 10.5, 10.5, 0.95)]
    scenes = merge_scenes(hits, gap_s=4.0)
    assert [(s.file, s.at) for s in scenes] == [("a.mp4", 30.0), ("b.mp4", 10.5), ("a.mp4", 10.0), ("a.mp4", 11.0)]


def test_to_dict_fields():
    d = merge_scenes([hit(7, "x/ep.mkv", 1.0, 2.0, 0.5)], 4.0)[0].to_dict()
    assert d == {"title": "T", "episode": 1, "file": "x/ep.mkv", "from": 1.0, "at": 1.5, "to": 2.0,
                 "similarity": 0.5, "id": 7}
