"""`service.run`: the port is bound before the banner, so a port in use (or an address this
machine does not have) ends in one line and exit 2, never 'serving ...' then uvicorn's error."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from animeid.errors import AnimeidError
from animeid.service.run import bind_socket


@pytest.fixture
def taken_port():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        yield held.getsockname()[1]


def test_bind_socket_refuses_a_port_in_use_in_one_line(taken_port):
    with pytest.raises(AnimeidError, match=f"^cannot listen on 127.0.0.1:{taken_port}: Address already in use$"):
        bind_socket("127.0.0.1", taken_port)


def test_bind_socket_listens_on_a_free_port():
    sock = bind_socket("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass      # accepted by the backlog before any server runs
    finally:
        sock.close()


def test_bind_socket_refuses_an_address_this_machine_does_not_have():
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address, and no DNS involved
    with pytest.raises(AnimeidError, match="^cannot listen on 192.0.2.1:8000: Cannot assign requested address$"):
        bind_socket("192.0.2.1", 8000)


def test_animeid_serve_on_a_port_in_use_is_one_line_and_exit_2(scene_db, taken_port):
    r = subprocess.run([sys.executable, "-m", "animeid.cli.main", "serve", "--db", str(scene_db),
                        "--port", str(taken_port)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "serving" not in r.stdout
    assert r.stderr.strip().splitlines() == [
        f"animeid: error: cannot listen on 127.0.0.1:{taken_port}: Address already in use"]
