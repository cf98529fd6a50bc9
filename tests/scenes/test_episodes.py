import pytest

from animeid.scenes.episodes import parse_episode


@pytest.mark.parametrize("name, episode", [
    ("Title - 07.mp4", 7),
    ("[Group] Title - 07 [1080p].mkv", 7),
    ("[SubsPlease] Title - 1071 (1080p) [ABCD1234].mkv", 1071),
    ("Show S01E07.mkv", 7),
    ("show.s02e13.720p.mkv", 13),
    ("Show EP07.mp4", 7),
    ("Show Ep 3.mp4", 3),
    ("Title Episode 12.mkv", 12),
    ("進撃の巨人 第07話.mp4", 7),
    ("進撃の巨人 第7话.mkv", 7),
    ("Title - 07v2.mkv", 7),
    ("Title - 12.5.mkv", 12.5),
    ("Title_-_07.mkv", 7),
    ("Mob Psycho 100 - 05.mkv", 5),
    ("Steins;Gate 0 - 01.mkv", 1),
    ("Kono Bijutsubu ni wa Mondai ga Aru! - 12.mp4", 12),
    ("One Piece - demo.mp4", None),
    ("vinland_1.gif", None),
    ("Movie [1080p].mkv", None),
    ("Title (2019).mkv", None),
    ("Title - 2019 - 07.mkv", 7),
    ("Title - 07 - Subtitle E3.mkv", 7),
    ("Title E05.mkv", 5),
    ("Title.E05.1080p.mkv", 5),
    ("Title E04 - 12 Days.mkv", 4),
    ("Title E05 - 2.mkv", 5),
    ("Title E3 - 06.mkv", 3),
    # A square bracket holding only a number (v2, .5, END allowed) is the episode; CRCs,
    # resolutions, years and tags are not. Parentheses never are ("Title (1).mkv" is a copy).
    ("[VCB-Studio] Sousou no Frieren [07][Ma10p_1080p][x265_flac].mkv", 7),
    ("[Sakurato] Sousou no Frieren [07][AVC-8bit 1080p AAC][CHS].mp4", 7),
    ("[Nekomoe kissaten][Sousou no Frieren][07][1080p][JPSC].mp4", 7),
    ("【喵萌奶茶屋】★10月新番★[葬送的芙莉莲 / Sousou no Frieren][07][1080p][简日双语].mp4",
     7),
    ("【Group】【Title】【07】【GB】【1080P】.mp4", 7),
    ("[Group] Title [07v2][1080p].mkv", 7),
    ("[Group] Title [12.5][1080p].mkv", 12.5),
    ("[Group][Title][12END][1080p].mkv", 12),
    ("[Group][Title][第07話][1080p].mkv", 7),
    ("[Group] Title [2019][BDRip 1080p].mkv", None),
    ("[Group] Title [1080p][12345678].mkv", None),
    ("Title (1).mkv", None),
    # No dash: a zero-padded (07, 007) or two-digit (12) token is the episode, the last one when
    # there are several (Cyborg 009 05); a name that is a number, or starts with "N - ", is one.
    ("[Coalgirls]_Clannad_07_(1280x720_Blu-Ray_FLAC)_[6B3E3E01].mkv", 7),
    ("[Group] Title 07 [1080p].mkv", 7),
    ("[Group] Title 12 [1080p].mkv", 12),
    ("Title_07_[720p].mkv", 7),
    ("Title.07.720p.mkv", 7),
    ("Title 07.mkv", 7),
    ("Title 007.mkv", 7),
    ("Title 07 AAC 2.0.mkv", 7),
    ("07.mkv", 7),
    ("12.mkv", 12),
    ("07 - The Title.mkv", 7),
    ("12 - The Title.mkv", 12),
    ("Cyborg 009 05.mkv", 5),
    ("Cyborg 009 - 05.mkv", 5),
    # ... and the ambiguous ones: an unpadded number ending a title, a number title's first word,
    # an unpadded 3-4 digit number, numbered extras/volumes/seasons all stay None.
    ("Mob Psycho 100.mkv", None),
    ("Title 2.mkv", None),
    ("Title 7.mkv", None),
    ("86 Eighty Six.mkv", None),
    ("91 Days.mkv", None),
    ("One Piece 1071.mkv", None),
    ("Steins;Gate 0.mkv", None),
    ("Title Season 02.mkv", None),
    ("Title Vol.02.mkv", None),
    ("Title - PV 01.mkv", None),
    ("Title - NCOP 01.mkv", None),
    ("Title - Special 01.mkv", None),
    ("Title.2019.1080p.WEB-DL.DD5.1.H.264-GROUP.mkv", None),
    # ... where the rules above knowingly answer a number ("86" alone reads as episode 86;
    # "Cyborg 009" cannot be told from "Title 007", nor "Area 88" from "Title 12").
    ("86.mkv", 86),
    ("86 - Eighty Six.mkv", 86),
    ("Cyborg 009.mkv", 9),
    ("Area 88.mkv", 88),
    ("86 - Eighty Six - 03.mkv", 3),
    # Season x episode.
    ("Title 1x07.mkv", 7),
    ("Title - 1x07 - Subtitle.mkv", 7),
    ("Title - 1920x1080 - 07.mkv", 7),
    # Kanji numerals and 話 without 第.
    ("第七話.mkv", 7),
    ("第十話.mkv", 10),
    ("Title 第十二話.mkv", 12),
    ("Title 第二十话.mkv", 20),
    ("Title 第九十九話「サブタイトル」.mkv", 99),
    ("Title 07話.mkv", 7),
    ("Title 第07话.mkv", 7),
    ("[Group] Title 全12話 [BD].mkv", None),
    # Double episodes give the first, whatever joins them.
    ("Title - 01-02.mkv", 1),
    ("Title - 01~02.mkv", 1),
    ("Title - 01+02.mkv", 1),
    # 1900-2099 after " - " is an episode (long runners pass 2000) unless nothing but a year reading
    # fits: another episode number follows, or a bare resolution/source tag does.
    ("Detective Conan - 2001.mkv", 2001),
    ("Title - 2000.mkv", 2000),
    ("[SubsPlease] Title - 2019 (1080p) [ABCD1234].mkv", 2019),
    ("Title - 2019 1080p BluRay x264.mkv", None),
    ("Title - 2019 - S01E07.mkv", 7),
    ("Title (2019) - 12.mkv", 12),
    ("Title 2019 - 12.mkv", 12),
    # The first strong marker in reading order wins.
    ("Title - 12 - Episode 3 recap.mkv", 12),
    ("Title - Episode 7 - 2019.mkv", 7),
    ("Title - 07 - Part 2.mkv", 7),
    ("Title Season 2 - 07.mkv", 7),
])
def test_parse_episode(name, episode):
    assert parse_episode(name) == episode


@pytest.mark.parametrize("name, title, episode", [
    # The title folder's own digits are never the episode.
    ("Area 88.mkv", "Area 88", None),
    ("[Group] Area 88 [1080p].mkv", "Area 88", None),
    ("Area 88 (1985).mkv", "Area 88 (1985)", None),
    ("Cyborg 009.mkv", "Cyborg 009", None),
    ("86.mkv", "86", None),
    # Separators around the title still read as before, whatever joins its words.
    ("Area 88 - 03.mkv", "Area 88", 3),
    ("Area.88.S01E03.mkv", "Area 88", 3),
    ("Area_88_02.mkv", "Area 88", 2),
    ("86 05.mkv", "86", 5),
    ("Cyborg 009 05.mkv", "Cyborg 009", 5),
    ("Mob Psycho 100 II - 07.mkv", "Mob Psycho 100", 7),
    # A number of its own after the title is still the episode.
    ("Area 88 88.mkv", "Area 88", 88),
    # Another folder's name, or a number that only starts like the title, changes nothing.
    ("86.mkv", "One Piece", 86),
    ("Area 880.mkv", "Area 88", None),
    ("Title - 07.mp4", "Title", 7),
])
def test_parse_episode_within_its_title_folder(name, title, episode):
    assert parse_episode(name, title) == episode


def test_library_scan_passes_the_title_folder(tmp_path):
    from animeid.scenes.library import scan_library

    for rel in ("Area 88/Area 88.mkv", "Area 88/Area 88 - 02.mkv", "Other/Area 88.mkv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    episodes = {v.relpath: v.episode for v in scan_library(tmp_path, (".mkv",))}
    assert episodes == {"Area 88/Area 88 - 02.mkv": 2, "Area 88/Area 88.mkv": None, "Other/Area 88.mkv": 88}
