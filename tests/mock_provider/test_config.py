"""Configuration: defaults, then a TOML file, then JESIGN_MOCK_* variables, then explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_provider.config import ConfigError, MockConfig, load_config


def test_defaults() -> None:
    config = load_config(environ={})
    assert config == MockConfig()
    assert config.base_url == "http://127.0.0.1:8400"
    assert config.resolved_database_url == "sqlite:///.jesign-mock/mock.sqlite3"
    assert (config.personal_validity_days, config.seal_validity_days, config.client_validity_days) == (1095, 1095, 1825)
    assert config.key_algorithm == "ec-p256"


def test_precedence_file_then_environment_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "mock.toml"
    path.write_text('port = 9000\nhost = "0.0.0.0"\nkey_algorithm = "rsa-3072"\nallow_fake_time = false\n')
    environ = {"JESIGN_MOCK_CONFIG": str(path), "JESIGN_MOCK_PORT": "9100", "JESIGN_MOCK_WORKERS": "3"}
    config = load_config({"workers": 2}, environ=environ)
    assert config.host == "0.0.0.0"
    assert config.key_algorithm == "rsa-3072"
    assert config.allow_fake_time is False
    assert config.port == 9100
    assert config.workers == 2


def test_the_server_limits_come_from_the_environment_too() -> None:
    environ = {
        "JESIGN_MOCK_READ_TIMEOUT_SECONDS": "5",
        "JESIGN_MOCK_MAX_HEADER_BYTES": "16384",
        "JESIGN_MOCK_MAX_BODY_BYTES": "1048576",
        "JESIGN_MOCK_MAX_CONNECTIONS": "20",
    }
    config = load_config(environ=environ)
    assert (config.read_timeout_seconds, config.max_header_bytes) == (5, 16384)
    assert (config.max_body_bytes, config.max_connections) == (1048576, 20)


def test_public_base_url_drives_the_urls() -> None:
    config = load_config({"public_base_url": "http://pki.example.org/"}, environ={})
    assert config.base_url == "http://pki.example.org"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nonsense": 1}, "unknown setting"),
        ({"port": "eighty"}, "port"),
        ({"port": 0}, "port"),
        ({"allow_fake_time": "perhaps"}, "allow_fake_time"),
        ({"key_algorithm": "dsa-1024"}, "key_algorithm"),
        ({"personal_validity_days": -1}, "positive"),
        ({"ocsp_validity_seconds": 5}, "60 seconds"),
        ({"read_timeout_seconds": 0}, "read_timeout_seconds"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_body_bytes": 100}, "max_body_bytes"),
    ],
)
def test_bad_values_are_refused_clearly(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(overrides, environ={})


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = = 1")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(config_file=bad, environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(config_file=tmp_path / "missing.toml", environ={})


def test_manual_review_needs_the_control_plane() -> None:
    with pytest.raises(ConfigError, match="control plane"):
        load_config({"review_mode": "manual", "control_plane": False}, environ={})
