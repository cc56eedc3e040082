"""desktop.config: platformdirs locations, COMMITDESK_HOME redirect, recent list, preferences."""

from __future__ import annotations

import json

from desktop import config


def test_home_redirects_every_location(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMITDESK_HOME", str(tmp_path / "h"))
    assert config.data_dir() == tmp_path / "h" / "data"
    assert config.config_dir() == tmp_path / "h" / "config"
    assert config.log_dir() == tmp_path / "h" / "log"
    assert config.cache_dir() == tmp_path / "h" / "cache"
    assert config.default_workspace_dir() == tmp_path / "h" / "data" / "workspaces"
    assert config.demo_workspace_path() == tmp_path / "h" / "data" / "Demo.commitdesk"
    for d in ("data", "config", "log", "cache"):
        assert (tmp_path / "h" / d).is_dir()


def test_without_home_platformdirs_are_used(monkeypatch, tmp_path):
    monkeypatch.delenv("COMMITDESK_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    assert config.data_dir() == tmp_path / "xdg-data" / "CommitDesk"
    assert config.config_dir() == tmp_path / "xdg-config" / "CommitDesk"


def test_the_test_session_has_its_own_home():
    import os

    home = os.environ["COMMITDESK_HOME"]  # set by tests/conftest.py (a fresh temp dir)
    assert home and not home.startswith(str(config.Path.home() / ".local"))
    assert str(config.data_dir()).startswith(home)


def test_preferences_round_trip_and_keep_unknown_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMITDESK_HOME", str(tmp_path))
    prefs = config.load_preferences()
    assert prefs["schema_version"] == config.PREFERENCES_SCHEMA_VERSION
    assert prefs["as_of_mode"] == "latest_usage"
    prefs["as_of_mode"] = "today"
    prefs["from_a_newer_version"] = {"x": 1}
    config.save_preferences(prefs)
    again = config.load_preferences()
    assert again["as_of_mode"] == "today" and again["from_a_newer_version"] == {"x": 1}
    saved = json.loads(config.preferences_path().read_text())
    assert saved["schema_version"] == 1
    assert [p.name for p in config.config_dir().iterdir()] == ["preferences.json"]  # no temp left


def test_damaged_preferences_fall_back_to_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMITDESK_HOME", str(tmp_path))
    config.preferences_path().write_text('{"as_of_mode": "tod')  # cut short
    assert config.load_preferences() == config.DEFAULT_PREFERENCES


def test_recent_workspaces(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMITDESK_HOME", str(tmp_path / "home"))
    files = []
    for i in range(12):
        f = tmp_path / f"w{i}.commitdesk"
        f.write_bytes(b"")
        files.append(f)
        config.add_recent(f)
    recent = config.recent_workspaces()
    assert recent == [files[i] for i in range(11, 1, -1)]  # newest first, at most 10
    config.add_recent(files[5])
    assert config.recent_workspaces()[0] == files[5] and len(config.recent_workspaces()) == 10
    files[11].unlink()
    assert files[11] not in config.recent_workspaces()
    assert files[11] in config.recent_workspaces(existing_only=False)
    config.remove_recent(files[5])
    assert files[5] not in config.recent_workspaces(existing_only=False)
