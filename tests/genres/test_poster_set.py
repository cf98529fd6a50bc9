"""Bad poster lists each get a clear one-line message; unreadable images are skipped, not blackened."""
import json

import numpy as np
import pytest
from PIL import Image

from animeid.genres.errors import BadPosterList
from animeid.genres.genre_vocabulary import GenreVocabulary
from animeid.genres.poster_set import load_poster_set, parse_genres


def _img(path, colour=(200, 30, 30)):
    Image.fromarray(np.full((40, 30, 3), colour, dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "img").mkdir()
    for i in range(4):
        _img(tmp_path / "img" / f"p{i}.png", (i * 60, 100, 50))
    return tmp_path


def test_parse_genres_all_formats():
    assert parse_genres("Action|Drama| Action") == ["Action", "Drama"]
    assert parse_genres("Action, Slice of Life") == ["Action", "Slice of Life"]
    assert parse_genres('["Sci-Fi", "Mecha"]') == ["Sci-Fi", "Mecha"]
    assert parse_genres(["A", " B "]) == ["A", "B"] and parse_genres(("A", "B")) == ["A", "B"]
    assert parse_genres("") == [] and parse_genres(None) == []
    with pytest.raises(BadPosterList, match="not valid JSON"):
        parse_genres('["Action", ')


def test_csv_and_json_lists_load(folder):
    (folder / "p.csv").write_text("image,title,genres\nimg/p0.png,Zero,Action|Drama\nimg/p1.png,One,Comedy\n")
    ps = load_poster_set(folder / "p.csv")
    assert [p.name for p in ps.paths] == ["p0.png", "p1.png"]
    assert ps.genres == [["Action", "Drama"], ["Comedy"]] and ps.titles == ["Zero", "One"]
    (folder / "p.json").write_text(json.dumps([{"path": "img/p2.png", "genres": ["Horror", "Mystery"]}]))
    assert load_poster_set(folder / "p.json").genres == [["Horror", "Mystery"]]


def test_empty_csv(folder):
    (folder / "e.csv").write_text("")
    with pytest.raises(BadPosterList, match="empty file"):
        load_poster_set(folder / "e.csv")
    (folder / "h.csv").write_text("image,genres\n")
    with pytest.raises(BadPosterList, match="no rows"):
        load_poster_set(folder / "h.csv")


def test_unknown_columns(folder):
    (folder / "u.csv").write_text("picture,kind\nimg/p0.png,Action\n")
    with pytest.raises(BadPosterList, match=r"unknown columns \['kind', 'picture'\]; need an image column"):
        load_poster_set(folder / "u.csv")


def test_no_genres_at_all(folder):
    (folder / "n.csv").write_text("image,genres\nimg/p0.png,\nimg/p1.png,\n")
    with pytest.raises(BadPosterList, match="no row has any genre"):
        load_poster_set(folder / "n.csv")


def test_rows_without_genres_are_skipped_and_reported(folder):
    (folder / "s.csv").write_text("image,genres\nimg/p0.png,\nimg/p1.png,Action\n")
    ps = load_poster_set(folder / "s.csv")
    assert len(ps) == 1 and any("row 2: no genres" in p for p in ps.problems)


def test_escaping_paths_refused(folder, tmp_path):
    outside = _img(tmp_path.parent / f"outside-{tmp_path.name}.png")
    for bad in ("../" + outside.name, str(outside)):
        (folder / "x.csv").write_text(f"image,genres\nimg/p0.png,Action\n{bad},Drama\n")
        with pytest.raises(BadPosterList, match="escapes the folder of x.csv"):
            load_poster_set(folder / "x.csv")
    outside.unlink()


def test_a_link_inside_the_folder_to_images_elsewhere_is_followed(folder, tmp_path):
    """Linking a data set into the list's folder is the user's choice; only the path as written
    must stay inside (a resolved check refused every linked poster)."""
    elsewhere = tmp_path.parent / f"elsewhere-{tmp_path.name}"
    elsewhere.mkdir()
    _img(elsewhere / "p9.png")
    (folder / "img" / "linked.png").symlink_to(elsewhere / "p9.png")
    (folder / "l.csv").write_text("image,genres\nimg/p0.png,Action\nimg/linked.png,Drama\n")
    ps = load_poster_set(folder / "l.csv")
    assert len(ps) == 2 and not ps.problems


def test_duplicate_rows(folder):
    (folder / "d.csv").write_text("image,genres\nimg/p0.png,Action\nimg/p1.png,Drama\nimg/./p0.png,Action\n")
    ps = load_poster_set(folder / "d.csv")
    assert len(ps) == 2 and any("row 4: duplicate of row 2" in p for p in ps.problems)
    (folder / "c.csv").write_text("image,genres\nimg/p0.png,Action\nimg/p0.png,Drama\n")
    with pytest.raises(BadPosterList, match="duplicates row 2 .* with different genres"):
        load_poster_set(folder / "c.csv")


def test_missing_and_corrupt_images_skipped_not_blackened(folder):
    (folder / "img" / "bad.jpg").write_bytes(b"not a jpeg at all")
    (folder / "m.csv").write_text("image,genres\nimg/p0.png,Action\nimg/bad.jpg,Drama\nimg/gone.png,Comedy\n")
    ps = load_poster_set(folder / "m.csv")
    assert [p.name for p in ps.paths] == ["p0.png"]
    assert any("bad.jpg" in p and "skipped" in p for p in ps.problems)
    assert any("gone.png: no such file" in p for p in ps.problems)


def test_one_example_genre_is_dropped_with_a_note():
    notes = []
    v = GenreVocabulary.fit([["A", "B"], ["A", "Music"], ["A", "B"]], min_count=2, notes=notes)
    assert v.genres == ["A", "B"] and v.counts == [3, 2]
    assert "one example" in notes[0] and "Music" in notes[0]
    assert v.encode([["B", "Music"]]).tolist() == [[0, 1]]
    notes = []
    GenreVocabulary.fit([["A", "B"], ["A", "Music"], ["A", "B"]], min_count=1, notes=notes)
    assert notes == ["genre(s) kept with one example (--min-count 1) cannot be validated and use the global "
                     "threshold: Music"]


def test_vocabulary_top_k_and_errors():
    v = GenreVocabulary.fit([["A", "B", "C"], ["A", "B"], ["A"]], top_k=2, min_count=1)
    assert v.genres == ["A", "B"]
    with pytest.raises(BadPosterList, match="no genre has at least 5 examples"):
        GenreVocabulary.fit([["A"], ["B"]], min_count=5)
    with pytest.raises(BadPosterList, match="only one genre"):
        GenreVocabulary.fit([["A"], ["A"], ["B"]], min_count=2)


@pytest.mark.parametrize("genres,message", [
    ({"a": 1}, "item 1: genres {'a': 1} are a JSON object"),
    ([["Action"], "Drama"], r"item 1: genre list \[\['Action'\], 'Drama'\] holds a list"),
    (["Action", 3], "holds a number"),
    (5, "genres 5 are a JSON number"),
    (True, "a JSON boolean"),
])
def test_json_genres_of_the_wrong_type_refused_with_the_item(folder, genres, message):
    (folder / "p.json").write_text(json.dumps([{"image": "img/p0.png", "genres": genres}]))
    with pytest.raises(BadPosterList, match=message):
        load_poster_set(folder / "p.json")


def test_json_null_genres_dropped_with_a_note(folder):
    (folder / "p.json").write_text(json.dumps([{"image": "img/p0.png", "genres": ["Action", None]},
                                               {"image": "img/p1.png", "genres": None}]))
    ps = load_poster_set(folder / "p.json")
    assert ps.genres == [["Action"]]
    assert "p.json item 1: null genre(s) in the list ignored" in ps.problems
    assert "p.json item 2: no genres; skipped" in ps.problems


@pytest.mark.parametrize("image,message", [(5, "image 5 is a JSON number"),
                                            (["a", "b"], r"image \['a', 'b'\] is a JSON list")])
def test_json_image_must_be_a_string(folder, image, message):
    (folder / "p.json").write_text(json.dumps([{"image": "img/p0.png", "genres": ["Action"]},
                                               {"image": image, "genres": ["Drama"]}]))
    with pytest.raises(BadPosterList, match=f"p.json item 2: {message}; expected a path string"):
        load_poster_set(folder / "p.json")


def test_json_content_in_a_txt_file_numbers_items_from_one(folder):
    (folder / "p.txt").write_text(json.dumps([{"image": "img/p0.png", "genres": "Action"},
                                              {"image": "img/p0.png", "genres": "Action"}]))
    assert "p.txt item 2: duplicate of item 1 (img/p0.png); skipped" in load_poster_set(folder / "p.txt").problems


def test_unicode_line_separators_stay_inside_their_field(folder):
    seps = ["\u2028", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\u2029"]
    rows = [f"img/p{i % 4}.png,Title{sep}part two,Action" for i, sep in enumerate(seps[:4])]
    (folder / "u.csv").write_text("image,title,genres\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ps = load_poster_set(folder / "u.csv")
    assert len(ps) == 4 and ps.titles == [f"Title{sep}part two" for sep in seps[:4]]
    for sep in seps[4:]:
        (folder / "v.csv").write_text(f"image,title,genres\nimg/p0.png,A{sep}B,Drama\n", encoding="utf-8")
        assert load_poster_set(folder / "v.csv").titles == [f"A{sep}B"]


def test_row_numbers_are_csv_line_numbers(folder):
    # row 2 spans two lines (a quoted newline), so the next record starts on line 4
    (folder / "m.csv").write_text('image,title,genres\nimg/p0.png,"two\nlines",Action\n\nimg/p1.png,x,\n')
    ps = load_poster_set(folder / "m.csv")
    assert ps.titles == ["two\nlines"] and "m.csv row 5: no genres; skipped" in ps.problems


def test_python_style_genre_lists(folder):
    (folder / "k.csv").write_text("image,genres\nimg/p0.png,\"['Romance', 'Supernatural']\"\nimg/p1.png,Drama\n")
    assert load_poster_set(folder / "k.csv").genres == [["Romance", "Supernatural"], ["Drama"]]
    assert parse_genres("['Slice of Life', \"Shoujo\"]") == ["Slice of Life", "Shoujo"]
    for bad in ("['Romance', 3]", "[__import__('os').getcwd()]", "['Romance'"):
        (folder / "k.csv").write_text(f'image,genres\nimg/p1.png,Drama\nimg/p0.png,"{bad}"\n')
        with pytest.raises(BadPosterList, match=r"k.csv row 3: genre list .* not valid JSON"):
            load_poster_set(folder / "k.csv")


def test_semicolon_separated_header_gets_a_hint(folder):
    (folder / "s.csv").write_text("image;title;genres\nimg/p0.png;A;Action\n")
    with pytest.raises(BadPosterList, match="separated by semicolons; the poster list must be comma-separated"):
        load_poster_set(folder / "s.csv")


def test_min_count_zero_note_and_top_k_one_message():
    notes = []
    GenreVocabulary.fit([["A", "B"], ["A", "Music"], ["A", "B"]], min_count=0, notes=notes)
    assert notes == ["genre(s) kept with one example (--min-count 0) cannot be validated and use the global "
                     "threshold: Music"]
    with pytest.raises(BadPosterList, match="--top-k 1 keeps a single genre"):
        GenreVocabulary.fit([["A", "B"], ["A", "B"]], top_k=1, min_count=2)


def test_genres_differing_only_in_case_are_one_genre(folder):
    """`action` and `Action` were two genres, each with about half the examples, without a word."""
    (folder / "p.csv").write_text("image,genres\nimg/p0.png,Action|Drama\nimg/p1.png,action|comedy\n"
                                  "img/p2.png,Action|Comedy\nimg/p3.png,ACTION|action\nimg/p0.png,action|DRAMA\n")
    ps = load_poster_set(folder / "p.csv")
    # most frequent spelling wins, the first seen on a tie ("comedy" and "Comedy" once each)
    assert ps.genres == [["Action", "Drama"], ["Action", "comedy"], ["Action", "comedy"], ["Action"]]
    assert any("merged as 'Action': 'action', 'ACTION'" in p for p in ps.problems)
    assert any("duplicate of" in p for p in ps.problems)   # the last row repeats the first, case aside


def test_a_nul_byte_in_an_image_path_is_refused_with_the_item(folder):
    (folder / "p.json").write_text(json.dumps([{"image": "img/p0.png", "genres": ["A"]},
                                               {"image": "img/a\u0000b.png", "genres": ["A"]}]))
    with pytest.raises(BadPosterList, match="p.json item 2: image path .* holds a NUL byte"):
        load_poster_set(folder / "p.json")
