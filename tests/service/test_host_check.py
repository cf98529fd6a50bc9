"""A server on a loopback address answers only to loopback Host names (a guard against DNS
rebinding: a page elsewhere whose name resolves to 127.0.0.1); `serve` turns the check on for
loopback addresses (checked on the real command in test_live_server.py)."""
import pytest
from fastapi.testclient import TestClient

from animeid.service.app import create_app
from animeid.service.host_check import host_name


@pytest.mark.parametrize("header, name", [
    ("localhost:8000", "localhost"), ("LOCALHOST", "localhost"), ("127.0.0.1:80", "127.0.0.1"),
    ("[::1]:8000", "::1"), ("[::1]", "::1"), ("::1", "::1"), ("localhost.:8000", "localhost"),
    ("evil.example:8000", "evil.example"), ("", "")])
def test_host_name_drops_the_port(header, name):
    assert host_name(header) == name


def test_only_loopback_names_are_answered_when_checking(make_settings):
    with TestClient(create_app(make_settings(check_host=True)), raise_server_exceptions=False) as client:
        for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "app.localhost:8000"):
            assert client.get("/health", headers={"host": host}).status_code == 200, host
        for host in ("attacker.example:8000", "127.0.0.1.nip.io", "localhost.attacker.example"):
            r = client.get("/health", headers={"host": host})
            assert r.status_code == 400, host
            assert r.json()["error"].startswith(f"Host {host!r} is not served") and "allowed_hosts" in r.json()["error"]
        # writes and ?url= reads are refused the same way, before anything is read
        r = client.post("/search", params={"url": "/etc/hostname"}, headers={"host": "attacker.example"})
        assert r.status_code == 400 and "DNS rebinding" in r.json()["error"]


def test_allowed_hosts_add_a_proxy_s_name(make_settings):
    settings = make_settings(check_host=True, allowed_hosts=["animeid.example.org"])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/health", headers={"host": "animeid.example.org"}).status_code == 200
        assert client.get("/health", headers={"host": "other.example.org"}).status_code == 400


def test_without_the_check_any_host_is_answered(client):
    # a server on a public address (or the app built without `serve`) is reachable by any name anyway
    assert client.get("/health", headers={"host": "attacker.example"}).status_code == 200


def test_allowed_hosts_must_be_a_list_of_names(make_settings):
    from animeid.errors import AnimeidError

    with pytest.raises(AnimeidError, match="allowed_hosts must be a list of host names"):
        make_settings(allowed_hosts="animeid.example.org")
