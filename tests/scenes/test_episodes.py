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
])
def test_parse_episode(name, episode):
    assert parse_episode(name) == episode
