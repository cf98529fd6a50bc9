"""Episode numbers from release file names. Bracketed tags ([1080p], [ABCD1234], (BD)) are removed
first, since their digits are never the episode."""
from __future__ import annotations

import re

_BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)|【[^】]*】")
# Tried in order; patterns in one tuple compete, the one matching first in the name wins.
_PATTERNS = [
    (re.compile(r"第\s*(\d+(?:\.\d+)?)\s*[話话集回]"),),
    (re.compile(r"\bS\d{1,2}\s*E(\d{1,4}(?:\.\d)?)(?!\d)", re.I),),
    (re.compile(r"(?:^|[\s._-])(?:EP|Episode)[\s._-]*(\d{1,4}(?:\.\d)?)(?!\d)", re.I),),
    # "Title - 07" (the first dash-separated number that is not a year: "Title - 2019 - 07") and a
    # bare "E07": whichever comes first ("Title - 07 - Subtitle E3" is 7, "Title E04 - 12 Days" is 4)
    (re.compile(r"\s[-–]\s+#?(?!(?:19|20)\d\d(?!\d))(\d{1,4}(?:\.\d)?)(?:v\d)?(?=\s|$|[._-])", re.I),
     re.compile(r"(?:^|[\s._-])E(\d{1,4}(?:\.\d)?)(?!\d)", re.I)),
    (re.compile(r"#(\d{1,4})(?!\d)"),),
]


def parse_episode(filename: str) -> float | int | None:
    """`Title - 07.mp4` -> 7; `S01E07` -> 7; `第07話` -> 7; no number -> None."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", filename.replace("\\", "/").rsplit("/", 1)[-1])
    stem = _BRACKETS.sub(" ", stem).replace("_", " ")
    stem = re.sub(r"\s+", " ", stem).strip() + " "
    for group in _PATTERNS:
        found = [m for m in (p.search(stem) for p in group) if m]
        if found:
            value = float(min(found, key=lambda m: m.start()).group(1))
            return int(value) if value.is_integer() else value
    return None
