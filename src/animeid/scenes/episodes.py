"""Episode numbers from release file names.

Bracketed tags ([1080p], [ABCD1234], (BD)) are removed first, since their digits are never the
episode, except a square bracket holding only a number ([07]: VCB-Studio, Chinese fansub groups) or
a 話 marker. Numbered extras, volumes, parts and seasons (NCOP1, Vol.2, Season 02) are removed too.
The rules below are then tried tier by tier; within a tier the match that comes first wins.
"""
from __future__ import annotations

import re

_NUM = r"(\d{1,4}(?:\.\d)?)"                       # 7, 1071, 12.5
_YEAR = r"(?:19|20)\d\d(?!\d)"
_KANJI = "〇一二三四五六七八九"
_KANJI_NUM = "([一二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])"  # 一..九十九
# "(1)" is a duplicate download and "(2019)" a year: parentheses are always dropped.
_BRACKETS = re.compile(r"\[([^\]]*)\]|【([^】]*)】|\([^)]*\)")
_BRACKET_EPISODE = re.compile(rf"\s*(?!{_YEAR}){_NUM}(?:v\d)?(?:\s*END)?\s*", re.I)  # not [2019]
# The bare-number rules below would read "Season 02", "PV 01", "Vol.02" as the episode.
_EXTRAS = re.compile(r"\b(?:NCOP|NCED|OP|ED|PV|SP|Special|Vol|Part|Season)[\s.]*\d+", re.I)
# A bare scene tag after "Title - 2019" makes it a year ("Title - 2019 1080p BluRay"). A bracketed
# one does not: "[SubsPlease] Title - 2019 (1080p)" is how long runners' episodes are named.
_SOURCE_TAG = r"[\s.]+(?:\d{3,4}p|4K|BD|Blu-?Ray|WEB|HDTV|DVD|[xh]\.?26[45]|HEVC|AVC)"

_TIERS = [
    # Strong markers; the first in reading order wins ("Title - 12 - Episode 3 recap" is 12,
    # "Title E04 - 12 Days" is 4).
    (re.compile(rf"第\s*{_NUM}\s*[話话集回]"),
     re.compile(rf"第\s*{_KANJI_NUM}\s*[話话集回]"),
     re.compile(rf"(?<![\d.全]){_NUM}\s*[話话]"),          # "07話"; "全12話" is a count
     re.compile(rf"\bS\d{{1,2}}\s*E{_NUM}(?!\d)", re.I),
     # "1x07"; the season takes 1-2 digits right after a separator, so "1920x1080" is not one
     re.compile(r"(?:^|[\s._-])\d{1,2}x(\d{1,3})(?!\d)", re.I),
     re.compile(rf"(?:^|[\s._-])(?:EP|Episode)[\s._-]*{_NUM}(?!\d)", re.I),
     # "Title - 07", not a year ("Title - 2019 - 07"; years come back in the last tier);
     # "01-02", "01~02", "01+02" are double episodes, the first counts
     re.compile(rf"\s[-–]\s+#?(?!{_YEAR}){_NUM}(?:v\d)?(?=\s|$|[._~+-])", re.I),
     re.compile(rf"(?:^|[\s._-])E{_NUM}(?!\d)", re.I),
     re.compile(rf"\[{_NUM}\]")),                                    # a kept "[07]" bracket
    (re.compile(r"#(\d{1,4})(?!\d)"),),
    # The name is a number, or starts with "N - " ("07.mkv", "12 - The Title.mkv"): in a title's
    # folder these are episodes, so "86.mkv" is episode 86 too (in a folder named "86" it is the
    # title: see _without_title). Not a year ("2019 - Title").
    (re.compile(rf"^(?!{_YEAR}){_NUM}(?:v\d)?(?=\s[-–]\s|\s*$)"),),
    # A number token with no marker: zero-padded (07, 007) or two digits (12, as the same release's
    # 07 is), the last one ("Cyborg 009 05"). Unpadded 1, 3 or 4 digits ending a title ("Title 2",
    # "Mob Psycho 100") and a two-digit first word ("86 Eighty Six", "91 Days") are title words.
    (re.compile(r"^(?:.*[\s.])?((?:0\d{1,3}|(?<=.[\s.])[1-9]\d)(?:\.\d)?)(?:v\d)?(?=[\s.]|$)"),),
    # Last resort, "Detective Conan - 2001": a 1900-2099 number after a dash, unless a bare
    # resolution/source tag follows it.
    (re.compile(rf"\s[-–]\s+#?({_YEAR})(?:v\d)?(?=\s|$|[._~+-])(?!{_SOURCE_TAG})", re.I),),
]


def _unbracket(m: re.Match) -> str:
    inner = m.group(1) if m.group(1) is not None else m.group(2)
    if inner is None:
        return " "
    if number := _BRACKET_EPISODE.fullmatch(inner):
        return f" [{number.group(1)}] "
    return f" {inner} " if re.search("[第話话]", inner) else " "


def _value(text: str) -> float | int:
    if text[0] in _KANJI or text[0] == "十":
        tens, ten, units = text.rpartition("十")       # 二十三 -> 二, 十, 三; 十二 -> "", 十, 二
        tens_value = _KANJI.index(tens) if tens else int(bool(ten))
        return tens_value * 10 + (_KANJI.index(units) if units else 0)
    value = float(text)
    return int(value) if value.is_integer() else value


def _without_title(stem: str, title: str | None) -> str:
    """The title's digits are never the episode: `Area 88/Area 88.mkv` is no episode 88, and
    `86/86 - 05.mkv` is 5. The title's words, matched whatever separates them, become one
    placeholder word, so the separators around them still read as before."""
    words = re.findall(r"\w+", _BRACKETS.sub(" ", title or "").replace("_", " "))
    if not words or not any(w.isdigit() for w in words):
        return stem
    pattern = r"(?<![^\W_])" + r"[\s._-]*".join(map(re.escape, words)) + r"(?![^\W_])"
    return re.sub(pattern, " Title ", stem, count=1, flags=re.I)


def parse_episode(filename: str, title: str | None = None) -> float | int | None:
    """`Title - 07.mp4` -> 7; `S01E07` -> 7; `第07話` -> 7; `[07]` -> 7; no number -> None.
    `title` (the library folder's name) keeps a number in the title from being read as the episode."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", filename.replace("\\", "/").rsplit("/", 1)[-1])
    stem = _EXTRAS.sub(" ", _BRACKETS.sub(_unbracket, stem).replace("_", " "))
    stem = _without_title(stem, title)
    stem = re.sub(r"\s+", " ", stem).strip() + " "
    for tier in _TIERS:
        found = [m for m in (p.search(stem) for p in tier) if m]
        if found:
            return _value(min(found, key=lambda m: m.start(1)).group(1))
    return None
