"""A loaded Recognizer shared by threads (a bot answering from a thread pool, asyncio.to_thread):
every thread gets the answers one thread gets, while another thread enrols."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from animeid.recognize.recognizer import Recognizer
from tests.recognize.test_recognizer import enrol_folder


def test_identify_from_other_threads_matches_one_thread(tmp_path, colour_gallery, test_cfg, rng, colours):
    db = tmp_path / "db"
    with Recognizer.create(db, "character", cfg=test_cfg) as rec:
        enrol_folder(rec, colour_gallery)
    queries = [img for rgb in [(220, 30, 30), (30, 200, 40), (30, 40, 220)] for img in colours(rng, rgb, 4)]
    with Recognizer.load(db) as rec:
        alone = [rec.identify(q, k=3) for q in queries]
        with ThreadPoolExecutor(4) as pool:
            # SQLite objects made in the loading thread refused every other thread before
            assert list(pool.map(lambda q: rec.identify(q, k=3), queries * 3)) == alone * 3
            assert pool.submit(rec.identify_many, queries, 3).result() == alone
            assert pool.submit(rec.labels).result() == rec.labels()


def test_enrolling_in_one_thread_while_others_identify(tmp_path, colour_gallery, test_cfg, rng, colours):
    db = tmp_path / "db"
    with Recognizer.create(db, "character", cfg=test_cfg) as rec:
        enrol_folder(rec, colour_gallery)
    queries = colours(rng, (30, 40, 220), 8)
    yellow = colours(rng, (230, 220, 30), 6)
    with Recognizer.load(db) as rec, ThreadPoolExecutor(3) as pool:
        answers = [pool.submit(rec.identify, q, 2) for q in queries]
        added = pool.submit(rec.enroll, "yellow", yellow)
        answers += [pool.submit(rec.identify, q, 2) for q in queries]
        assert added.result() == 6
        assert all(a.result()[0]["label"] == "ブルー.v2 (blue)" for a in answers)
        assert rec.labels()["yellow"] == 6
        assert rec.identify(colours(rng, (230, 220, 30), 1)[0], k=1)[0]["label"] == "yellow"


def test_k_none_means_the_default(tmp_path, colour_gallery, test_cfg, rng, colours):
    """As Index.search(k=None): the default number of answers, not an error."""
    with Recognizer.create(tmp_path / "db", "character", cfg=test_cfg) as rec:
        enrol_folder(rec, colour_gallery)
        query = colours(rng, (30, 40, 220), 1)[0]
        assert rec.identify(query, k=None) == rec.identify(query)
