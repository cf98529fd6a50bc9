"""Poster lists that `csv` and dict look-ups used to reshape without a word: an unclosed quote
swallowing rows, an unquoted comma shifting columns, two spellings of one column, one genre in two
Unicode spellings; and problem lines that named the wrong thing (a link's target, the wrong row's
path). Each list is generated in a temporary folder."""
import json
import os
import unicodedata

import numpy as np
import pytest
from PIL import Image

from animeid.cli.main import main
from animeid.genres.errors import BadPosterList
from animeid.genres.poster_set import load_poster_set

GENRES = ("Action", "Comedy", "Drama", "Romance")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "images").mkdir()
    for i in range(40):
        pixels = np.full((40, 30, 3), (i * 6, 100, 200 - i * 4), np.uint8)
        Image.fromarray(pixels).save(tmp_path / "images" / f"p{i}.png")
    return tmp_path


def _rows(n=40):
    return [f"images/p{i}.png,Title {i},{GENRES[i % 4]}|{GENRES[(i + 1) % 4]}" for i in range(n)]


def _write(folder, lines, name="p.csv", header="image,title,genres"):
    (folder / name).write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return folder / name


# -- 1. an unbalanced quote ---------------------------------------------------------------------
def test_an_unclosed_quote_swallowing_rows_is_refused_with_its_row(folder):
    rows = _rows()
    rows[1] = 'images/p1.png,"Angel Beats!,Action|Comedy'   # CSV row 3; the quote is never closed
    with pytest.raises(BadPosterList) as err:
        load_poster_set(_write(folder, rows))
    msg = str(err.value)
    assert msg.startswith("p.csv row 3: a quoted field opened on this line runs on over 38 more line(s)")
    assert "line 4: 'images/p2.png,Title 2,Drama|Romance'" in msg and "close the quote" in msg


def test_a_quote_closed_rows_later_is_refused_too(folder):
    rows = _rows()
    rows[4] = 'images/p4.png,"Title 4,Action'        # row 6 opens a quote ...
    rows[9] = 'images/p9.png,Title 9",Comedy|Drama'  # ... that row 11 closes: rows 7-11 were one title
    with pytest.raises(BadPosterList, match=r"p.csv row 6: a quoted field opened on this line runs on over 5 more"):
        load_poster_set(_write(folder, rows))


def test_titles_and_synopses_over_several_lines_stay_allowed(folder):
    rows = _rows(12)
    rows[0] = 'images/p0.png,"Part one\nPart two",Action|Comedy'
    rows[1] = 'images/p1.png,"A synopsis,\nover three lines, with commas\nand an end.",Drama'
    ps = load_poster_set(_write(folder, rows))
    assert len(ps) == 12 and ps.titles[1] == "A synopsis,\nover three lines, with commas\nand an end."


def test_the_swallowing_list_fails_the_cli_in_one_line(folder, capsys):
    rows = _rows()
    rows[1] = 'images/p1.png,"Angel Beats!,Action|Comedy'
    code = main(["genres", "train", str(_write(folder, rows)), "--model", str(folder / "m"),
                 "--embedder", "color-layout", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "p.csv row 3: a quoted field" in err
    assert not (folder / "m").exists()


# -- 2. rows wider or narrower than the header -----------------------------------------------------
def test_an_unquoted_comma_is_refused_with_the_row(folder):
    rows = _rows()
    rows[3] = "images/p3.png,Akame ga Kill!, The Movie,Action|Adventure"   # row 5
    with pytest.raises(BadPosterList, match=r"p.csv row 5: 4 fields but the header 'image,title,genres' has 3; "
                                            r"a value holding a comma must be quoted"):
        load_poster_set(_write(folder, rows))


def test_a_row_with_too_few_fields_is_refused_with_the_row(folder):
    rows = _rows()
    rows[6] = "images/p6.png,Action|Drama"   # row 8: the title is missing, so the genres were read as one
    with pytest.raises(BadPosterList,
                       match=r"p.csv row 8: 2 field\(s\) but the header .* has 3 \(no value for 'genres'\)"):
        load_poster_set(_write(folder, rows))


def test_empty_trailing_fields_of_a_spreadsheet_export_pass(folder):
    ps = load_poster_set(_write(folder, [r + "," for r in _rows(10)]))
    assert len(ps) == 10 and ps.genres[0] == ["Action", "Comedy"]
    rows = [r.rsplit(",", 1)[0] + ",Drama" for r in _rows(10)]   # no value for the unnamed 4th column
    ps = load_poster_set(_write(folder, rows, header="image,title,genres,"))
    assert len(ps) == 10


# -- 3. two spellings of one column ----------------------------------------------------------------
def test_columns_differing_only_in_case_are_refused(folder):
    lines = [f"images/p{i}.png,Action|Drama,Comedy|Romance" for i in range(10)]
    with pytest.raises(BadPosterList, match=r"p.csv: columns 'Genres' and 'genres' have the same name"):
        load_poster_set(_write(folder, lines, header="image,Genres,genres"))
    with pytest.raises(BadPosterList, match=r"columns 'Image' and ' image' have the same name"):
        load_poster_set(_write(folder, lines, header="Image, image,genres"))


def test_json_keys_differing_only_in_case_are_refused(folder):
    items = [{"image": f"images/p{i}.png", "genres": ["Action"], "Genres": ["Drama"]} for i in range(10)]
    (folder / "p.json").write_text(json.dumps(items))
    with pytest.raises(BadPosterList, match=r"p.json item 1: 'genres' and 'Genres' could each be the genres column"):
        load_poster_set(folder / "p.json")
    items = [{"image": "images/p0.png", "genres": ["Action"]}, {"image": "images/p1.png", "GENRES": ["Drama"]}]
    (folder / "p.json").write_text(json.dumps(items))
    with pytest.raises(BadPosterList, match=r"p.json: 'genres' and 'GENRES' could each be the genres column"):
        load_poster_set(folder / "p.json")


# -- 6. one genre in two Unicode spellings ----------------------------------------------------------
def test_genres_equal_after_nfkc_and_spacing_are_one_genre(folder):
    nfc, nfd = unicodedata.normalize("NFC", "Comédie"), unicodedata.normalize("NFD", "Comédie")
    assert nfc != nfd
    lines = [f"images/p0.png,a,{nfc}|Slice of Life", f"images/p1.png,b,{nfd}|Slice of\u00a0Life",
             f"images/p2.png,c,{nfc}|Slice  of Life ", f"images/p3.png,d,{nfd}|Drama"]
    ps = load_poster_set(_write(folder, lines))
    assert ps.genres == [[nfc, "Slice of Life"]] * 3 + [[nfc, "Drama"]]
    assert f"genres differing only in Unicode form or spacing merged as {nfc!r}: 'Come\\u0301die'" in ps.problems
    assert any("merged as 'Slice of Life': 'Slice  of Life', 'Slice of\\xa0Life'" in p for p in ps.problems)


def test_a_duplicate_row_in_another_unicode_form_is_a_duplicate_not_a_conflict(folder):
    nfc, nfd = unicodedata.normalize("NFC", "Comédie"), unicodedata.normalize("NFD", "Comédie")
    ps = load_poster_set(_write(folder, [f"images/p0.png,a,{nfc}", f"images/p0.png,a,{nfd}"]))
    assert len(ps) == 1 and "p.csv row 3: duplicate of row 2 (images/p0.png); skipped" in ps.problems


# -- 7. skipped images named by their row and the path as written -----------------------------------
def test_a_missing_image_is_named_by_its_row_and_path(folder):
    ps = load_poster_set(_write(folder, ["images/p0.png,a,Action", "images/gone.png,b,Drama"]))
    assert ps.problems == ["p.csv row 3: images/gone.png: no such file; skipped"]


def test_a_dangling_link_is_named_by_the_list_entry_not_its_target(folder):
    (folder / "images" / "link.png").symlink_to("/nonexistent/x.jpg")
    ps = load_poster_set(_write(folder, ["images/p0.png,a,Action", "images/link.png,b,Drama"]))
    assert ps.problems == ["p.csv row 3: images/link.png: no such file (a link to /nonexistent/x.jpg, "
                           "which is missing); skipped"]


def test_backslash_paths_get_a_hint(folder):
    ps = load_poster_set(_write(folder, ["images/p0.png,a,Action", "images\\p1.png,b,Drama"]))
    assert ps.problems == ["p.csv row 3: images\\p1.png: no such file (the path uses \\; write paths with /); skipped"]
    with pytest.raises(BadPosterList, match=r"1 problems: p.csv row 2: images\\p0.png: no such file \(the path uses"):
        load_poster_set(_write(folder, ["images\\p0.png,a,Action"]))


def test_a_corrupt_image_is_named_by_its_row(folder):
    (folder / "images" / "bad.png").write_bytes(b"not a png")
    ps = load_poster_set(_write(folder, ["images/p0.png,a,Action", "images/bad.png,b,Drama"]))
    assert len(ps.problems) == 1 and ps.problems[0].startswith("p.csv row 3: images/bad.png: not a readable image")


# -- 8. a duplicate named by the row it repeats -------------------------------------------------------
def test_a_duplicate_through_a_link_names_the_earlier_rows_path(folder):
    (folder / "bad").mkdir()
    os.symlink(folder / "images" / "p0.png", folder / "bad" / "link.png")
    ps = load_poster_set(_write(folder, ["images/p0.png,a,Action", "images/p1.png,b,Drama", "bad/link.png,c,Action"]))
    assert "p.csv row 4: duplicate of row 2 (images/p0.png, the same image as bad/link.png); skipped" in ps.problems
    with pytest.raises(BadPosterList, match=r"p.csv row 3: duplicates row 2 \(images/p0.png, the same image as "
                                            r"bad/link.png\) with different genres"):
        load_poster_set(_write(folder, ["images/p0.png,a,Action", "bad/link.png,c,Drama"]))
