"""`?url=` paths the operating system refuses or that are no image file: every one is a clear
JSON 400 (never a 500), and reading a named pipe never blocks a worker."""
from __future__ import annotations

import os

import pytest


def _error(r, status: int, fragment: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status and fragment in body["error"] and "\n" not in body["error"]


@pytest.mark.parametrize("url, fragment", [
    ("/a\x00b", "embedded null byte"),
    ("/tmp/" + "x" * 300 + ".jpg", "File name too long"),
    ("file:///a%00b.jpg", "embedded null byte"),
])
def test_paths_the_os_refuses_are_400(client, url, fragment):
    _error(client.post("/search", params={"url": url}), 400, fragment)


def test_symlink_loop_is_400(client, tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    _error(client.post("/search", params={"url": str(tmp_path / "a")}), 400, "cannot be used as a path")


def test_folders_and_named_pipes_are_not_regular_files(client, tmp_path):
    _error(client.post("/search", params={"url": str(tmp_path)}), 400, "not a regular file")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    _error(client.post("/search", params={"url": str(fifo)}), 400, "not a regular file")
    _error(client.post("/genres", params={"url": str(fifo)}), 400, "not a regular file")
    _error(client.post("/search", params={"url": str(tmp_path / "missing.jpg")}), 404, "no such file")


def test_an_unreadable_file_is_400(client, tmp_path, alpha2_jpeg):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    shot = tmp_path / "secret.jpg"
    shot.write_bytes(alpha2_jpeg)
    shot.chmod(0)
    _error(client.post("/search", params={"url": str(shot)}), 400, "cannot read")


def test_a_tilde_path_is_relative_not_the_home_folder(client, monkeypatch, tmp_path, alpha2_jpeg):
    """`~` is a shell's expansion: `?url=~/.bashrc` read the server user's home, while the docs
    say a path that is not absolute is a 400."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "shot.jpg").write_bytes(alpha2_jpeg)
    _error(client.post("/search", params={"url": "~/shot.jpg"}), 400, "absolute local path")
    _error(client.post("/search", params={"url": "~"}), 400, "absolute local path")
    assert client.post("/search", params={"url": str(tmp_path / "shot.jpg")}).status_code == 200


def test_a_file_url_naming_another_host_is_refused(client, alpha2_jpeg, tmp_path):
    """`file://etc/passwd` names the host "etc"; its path alone read /passwd."""
    shot = tmp_path / "shot.jpg"
    shot.write_bytes(alpha2_jpeg)
    _error(client.post("/search", params={"url": "file://etc/passwd"}), 400, "file:// URL on another host")
    assert client.post("/search", params={"url": f"file://{shot}"}).status_code == 200
    assert client.post("/search", params={"url": f"file://localhost{shot}"}).status_code == 200
