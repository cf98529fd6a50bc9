"""A video library is `<root>/<Title>/<video files>`; the folder name is the title."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from animeid.errors import AnimeidError
from animeid.scenes.episodes import parse_episode


@dataclass(frozen=True)
class LibraryVideo:
    path: Path        # absolute
    relpath: str      # relative to the library root, the key in the metadata store
    title: str
    episode: float | int | None


def scan_library(root: Path, extensions: tuple[str, ...]) -> list[LibraryVideo]:
    root = Path(root)
    if not root.exists():
        raise AnimeidError(f"{root}: no such library folder")
    if not root.is_dir():
        raise AnimeidError(f"{root}: a library is a folder of <Title>/<video files>, not a file")
    videos = []
    for title_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(title_dir.rglob("*")):
            if path.is_file() and path.suffix.lower() in extensions and not path.name.startswith("."):
                rel = path.relative_to(root).as_posix()
                videos.append(LibraryVideo(path.resolve(), rel, title_dir.name, parse_episode(path.name, title_dir.name)))
    if not videos:
        raise AnimeidError(f"{root}: empty library: no <Title>/<video> files with extensions "
                           f"{', '.join(extensions)}")
    return videos


def loose_videos(root: Path, extensions: tuple[str, ...]) -> list[str]:
    """Names of the video files lying in `root` itself, in no <Title> folder: not indexed (no
    folder names their title), which a user who dropped episodes there needs to be told."""
    return sorted(p.name for p in Path(root).iterdir()
                  if p.is_file() and p.suffix.lower() in extensions and not p.name.startswith("."))
