"""Service settings: defaults < TOML file < environment < explicit options; bad values are refused."""
from __future__ import annotations

import pytest

from animeid.errors import AnimeidError
from animeid.service.settings import MB, ServiceSettings, load_settings


def test_defaults_match_the_issue():
    s = ServiceSettings()
    assert s.max_upload_bytes == 25 * MB and s.api_key is None and s.workers >= 1 and s.queue_limit > 0


def test_toml_then_env_then_overrides(tmp_path, monkeypatch):
    monkeypatch.delenv("ANIMEID_API_KEY", raising=False)
    cfg = tmp_path / "serve.toml"
    cfg.write_text('[serve]\napi_key = "from-file-key"\nupload_limit_mb = 2\nworkers = 3\n')
    s = load_settings(cfg)
    assert s.api_key == "from-file-key" and s.max_upload_bytes == 2 * MB and s.workers == 3
    monkeypatch.setenv("ANIMEID_API_KEY", "from-env-key")
    assert load_settings(cfg).api_key == "from-env-key"
    assert load_settings(cfg, workers=1, api_key="explicit-key").workers == 1
    assert load_settings(cfg, workers=None).workers == 3  # None means 'not given'


def test_bad_settings_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("ANIMEID_API_KEY", raising=False)
    with pytest.raises(AnimeidError, match="no such index folder"):
        load_settings(db=tmp_path / "missing")
    with pytest.raises(AnimeidError, match="not an animeid index"):
        load_settings(db=tmp_path)       # a folder, but neither an index nor a sharded one
    (tmp_path / "chars").mkdir()
    (tmp_path / "chars" / "gallery.sqlite").write_bytes(b"")
    with pytest.raises(AnimeidError, match="a gallery \\(built by `animeid enroll`\\), not a scene index; serve it with --gallery"):
        load_settings(db=tmp_path / "chars")
    with pytest.raises(AnimeidError, match="at least 8 characters"):
        load_settings(api_key="short")
    with pytest.raises(AnimeidError, match="unknown service setting"):
        load_settings(colour="blue")
    bad = tmp_path / "bad.toml"
    bad.write_text("api_key = [unclosed")
    with pytest.raises(AnimeidError, match="not valid TOML"):
        load_settings(bad)
    with pytest.raises(AnimeidError, match="no such config file"):
        load_settings(tmp_path / "nope.toml")
    with pytest.raises(AnimeidError, match="a folder, not a config file"):   # was "no such config file"
        load_settings(tmp_path)
    with pytest.raises(AnimeidError, match="workers"):
        load_settings(workers=0)


def test_an_unreadable_config_file_is_a_one_line_error(tmp_path, monkeypatch):
    """A config file of another user (mode 0600) escaped as a PermissionError traceback; as root
    every file reads, so the refusal is simulated."""
    from pathlib import Path

    config = tmp_path / "serve.toml"
    config.write_text("workers = 2\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(AnimeidError, match="serve.toml: cannot read \\(Permission denied\\)"):
        load_settings(config)


@pytest.mark.parametrize("line, fragment", [
    ('local_url_roots = "/srv"', "local_url_roots must be a list of folder paths"),
    ("local_url_roots = [1, 2]", "local_url_roots must be a list of folder paths"),
    ('workers = "2"', "workers must be a whole number, got '2'"),
    ("workers = 2.5", "workers must be a whole number"),
    ("workers = true", "workers must be a whole number"),
    ('upload_limit_mb = "abc"', "upload_limit_mb must be a number of megabytes"),
    ("upload_limit_mb = -1", "upload_limit_mb must be a number of megabytes"),
    ("upload_limit_mb = nan", "upload_limit_mb must be a number of megabytes"),
    ("preview_ttl_s = -5", "preview_ttl_s must be at least 1, got -5"),
    ("max_k = 0", "max_k must be at least 1, got 0"),
    ("queue_limit = -1", "queue_limit must be at least 0"),
    ("clip_pad_s = inf", "clip_pad_s must be a number"),
    ('clip_min_s = "3"', "clip_min_s must be a number"),
    ("upload_timeout_s = 0", "upload_timeout_s must be at least 0.1"),
    ("max_image_pixels = 10", "max_image_pixels must be at least 4096"),
    ('allow_local_paths = "no"', "allow_local_paths must be true or false"),
    ("preview_dir = 5", "preview_dir must be a folder path"),
    ("api_key = 5", "api_key must be a non-empty string"),     # "" is no key: see the whitespace test
    ("clip_min_s = 5.0\nclip_max_s = 4.0", "clip_max_s (4.0) must be at least clip_min_s (5.0)"),
    ("serve = 3", "'serve' must be a table"),
])
def test_config_file_values_are_checked_and_named(tmp_path, monkeypatch, line, fragment):
    monkeypatch.delenv("ANIMEID_API_KEY", raising=False)
    cfg = tmp_path / "serve.toml"
    cfg.write_text(line + "\n")
    with pytest.raises(AnimeidError) as err:
        load_settings(cfg)
    message = str(err.value)
    assert message.startswith(f"{cfg}: ") and fragment in message and "\n" not in message


def test_local_url_roots_is_a_list_of_resolved_folders(tmp_path):
    cfg = tmp_path / "serve.toml"
    cfg.write_text(f'local_url_roots = ["{tmp_path}/shots", "{tmp_path}/a/../b"]\n')
    assert load_settings(cfg).local_url_roots == (tmp_path / "shots", tmp_path / "b")
    with pytest.raises(AnimeidError, match="local_url_roots must be a list"):
        load_settings(local_url_roots="/srv")     # a bare string would allow every path under '/'


def test_typed_values_pass_and_options_are_checked_too(tmp_path):
    cfg = tmp_path / "serve.toml"
    cfg.write_text("[serve]\nupload_limit_mb = 0.5\nclip_pad_s = 2\npreview_ttl_s = 60\nmax_k = 10\n"
                   "upload_timeout_s = 12.5\nmax_image_pixels = 1000000\nallow_local_paths = false\n")
    s = load_settings(cfg)
    assert (s.max_upload_bytes, s.clip_pad_s, s.preview_ttl_s, s.max_k) == (MB // 2, 2.0, 60, 10)
    assert (s.upload_timeout_s, s.max_image_pixels, s.allow_local_paths) == (12.5, 1_000_000, False)
    with pytest.raises(AnimeidError, match="^workers must be a whole number, got '2'$"):
        load_settings(workers="2")
    with pytest.raises(AnimeidError, match="^max_k must be at least 1"):
        load_settings(max_k=0)


def test_a_bad_key_from_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("ANIMEID_API_KEY", "short")
    with pytest.raises(AnimeidError, match="^ANIMEID_API_KEY: the API key must be at least 8 characters"):
        load_settings()


def test_api_key_surrounding_whitespace_is_stripped(tmp_path, monkeypatch):
    """A key read from a file keeps its newline (`ANIMEID_API_KEY=$(cat key)` does not, `$'key\\n'`
    does); HTTP strips header values, so every write was a 403 "wrong API key"."""
    monkeypatch.setenv("ANIMEID_API_KEY", "secret-key-1\n")
    assert load_settings().api_key == "secret-key-1"
    cfg = tmp_path / "serve.toml"
    cfg.write_text('api_key = " \\tfrom-file-key\\r\\n"\n')
    monkeypatch.setenv("ANIMEID_API_KEY", " \n")      # nothing left: as if unset, the file's key counts
    assert load_settings(cfg).api_key == "from-file-key"
    monkeypatch.delenv("ANIMEID_API_KEY")
    cfg.write_text('api_key = "  \\n"\n')
    assert load_settings(cfg).api_key is None             # no key: writes are disabled, /health says so
    cfg.write_text('api_key = ""\n')
    assert load_settings(cfg).api_key is None
    assert load_settings(api_key=" explicit-key ").api_key == "explicit-key"
    with pytest.raises(AnimeidError, match="at least 8 characters"):
        load_settings(api_key="  short  ")


def test_a_non_ascii_api_key_is_refused(monkeypatch):
    """Headers arrive as Latin-1 bytes: a key with other characters could never be matched, and
    every write would be a 403 "wrong API key"."""
    monkeypatch.setenv("ANIMEID_API_KEY", "clé-secrète-123")
    with pytest.raises(AnimeidError, match="^ANIMEID_API_KEY: the API key must be ASCII"):
        load_settings()
