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
    with pytest.raises(AnimeidError, match="workers"):
        load_settings(workers=0)
