import stat

import pytest

from analytics.camera import CameraConfig
from server.cli import main
from server.config import MIN_SECRET_LENGTH, ConfigError, load_config

ENV_TOKEN = "admin-token-from-the-environment-0123"
ENV_SECRET = "signing-secret-from-the-environment-01"


def test_first_run_generates_and_stores_the_admin_token_and_secret(tmp_path):
    config = load_config(data_dir=tmp_path, environ={})

    assert len(config.admin_token) >= 24
    assert len(config.secret) >= 32
    assert config.admin_token_file == tmp_path / "admin_token"
    assert config.admin_token_file.read_text().strip() == config.admin_token
    assert (tmp_path / "secret").read_text().strip().encode() == config.secret


def test_stored_secrets_are_readable_by_their_owner_only(tmp_path):
    load_config(data_dir=tmp_path, environ={})

    for name in ("admin_token", "secret"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode & 0o077 == 0, f"{name} is {oct(mode)}"


def test_second_run_reads_back_the_same_secrets(tmp_path):
    first = load_config(data_dir=tmp_path, environ={})

    second = load_config(data_dir=tmp_path, environ={})

    assert second.admin_token == first.admin_token
    assert second.secret == first.secret


def test_two_data_dirs_get_different_secrets(tmp_path):
    one = load_config(data_dir=tmp_path / "one", environ={})
    two = load_config(data_dir=tmp_path / "two", environ={})

    assert one.admin_token != two.admin_token
    assert one.secret != two.secret


def test_the_data_dir_is_created_when_missing(tmp_path):
    config = load_config(data_dir=tmp_path / "nested" / "data", environ={})

    assert config.data_dir.is_dir()
    assert config.database_path == tmp_path / "nested" / "data" / "mentormeet.db"


def test_environment_variables_win_over_stored_secrets(tmp_path):
    load_config(data_dir=tmp_path, environ={})

    config = load_config(
        data_dir=tmp_path,
        environ={"MENTORMEET_ADMIN_TOKEN": ENV_TOKEN, "MENTORMEET_SECRET": ENV_SECRET},
    )

    assert config.admin_token == ENV_TOKEN
    assert config.secret == ENV_SECRET.encode()
    assert config.admin_token_file is None


def test_secrets_from_the_environment_are_not_written_to_disk(tmp_path):
    load_config(
        data_dir=tmp_path,
        environ={"MENTORMEET_ADMIN_TOKEN": ENV_TOKEN, "MENTORMEET_SECRET": ENV_SECRET},
    )

    assert not (tmp_path / "admin_token").exists()
    assert not (tmp_path / "secret").exists()


def test_ice_servers_are_read_from_json(tmp_path):
    servers = '[{"urls": "stun:stun.example.org:3478"}, {"urls": ["turn:t.example.org"]}]'

    config = load_config(data_dir=tmp_path, environ={"MENTORMEET_ICE_SERVERS": servers})

    assert config.ice_servers == (
        {"urls": "stun:stun.example.org:3478"},
        {"urls": ["turn:t.example.org"]},
    )


def test_there_are_no_ice_servers_by_default(tmp_path):
    assert load_config(data_dir=tmp_path, environ={}).ice_servers == ()


@pytest.mark.parametrize(
    "value",
    [
        "stun:stun.example.org",
        "{not json",
        '{"urls": "stun:stun.example.org"}',
        '["stun:stun.example.org"]',
        '[{"url": "stun:stun.example.org"}]',
        '[{"urls": 3478}]',
    ],
)
def test_bad_ice_servers_are_a_config_error_naming_the_variable(tmp_path, value):
    with pytest.raises(ConfigError, match="MENTORMEET_ICE_SERVERS"):
        load_config(data_dir=tmp_path, environ={"MENTORMEET_ICE_SERVERS": value})


def test_base_url_uses_the_public_url_without_its_trailing_slash(tmp_path):
    config = load_config(
        data_dir=tmp_path, environ={"MENTORMEET_PUBLIC_URL": "https://meet.example.org/"}
    )

    assert config.base_url == "https://meet.example.org"


def test_base_url_falls_back_to_the_listening_address(tmp_path):
    config = load_config(host="0.0.0.0", port=9000, data_dir=tmp_path, environ={})

    assert config.base_url == "http://0.0.0.0:9000"


def test_base_url_brackets_an_ipv6_host(tmp_path):
    config = load_config(host="::1", port=8080, data_dir=tmp_path, environ={})

    assert config.base_url == "http://[::1]:8080"


def test_the_camera_uplink_defaults_to_two_small_frames_a_second(tmp_path):
    camera = load_config(data_dir=tmp_path, environ={}).camera

    assert (camera.max_fps, camera.max_width) == (2.0, 320)


def test_the_camera_uplink_rate_and_width_come_from_the_environment(tmp_path):
    environ = {"MENTORMEET_UPLINK_MAX_FPS": "1.5", "MENTORMEET_UPLINK_MAX_WIDTH": "480"}
    camera = load_config(data_dir=tmp_path, environ=environ).camera

    assert (camera.max_fps, camera.max_width) == (1.5, 480)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MENTORMEET_UPLINK_MAX_FPS", "fast"),
        ("MENTORMEET_UPLINK_MAX_FPS", "0"),
        ("MENTORMEET_UPLINK_MAX_FPS", "nan"),
        ("MENTORMEET_UPLINK_MAX_WIDTH", "10"),
    ],
)
def test_bad_uplink_settings_are_a_config_error_naming_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        load_config(data_dir=tmp_path, environ={name: value})


def test_camera_settings_come_from_a_json_object_in_the_environment(tmp_path):
    environ = {
        "MENTORMEET_CAMERA": '{"face_roi": false, "face_downscale": false, "max_bitrate": 0,'
        ' "face_interval_seconds": 0}',
        "MENTORMEET_UPLINK_MAX_FPS": "30",
    }
    camera = load_config(data_dir=tmp_path, environ=environ).camera

    assert (camera.face_roi, camera.face_downscale) == (False, False)
    assert (camera.max_bitrate, camera.face_interval_seconds) == (0, 0)
    assert camera.max_fps == 30
    assert camera.hysteresis_seconds == CameraConfig().hysteresis_seconds


@pytest.mark.parametrize(
    "value",
    [
        "{",
        "[1]",
        '{"face_rio": false}',
        '{"face_roi": 1}',
        '{"max_bitrate": 1.5}',
        '{"hysteresis_seconds": -1}',
        '{"hysteresis_seconds": "3"}',
        '{"face_scale_factor": 1.1}',
        '{"min_face_fraction": 0}',
    ],
)
def test_bad_camera_settings_are_a_config_error_naming_the_variable(tmp_path, value):
    with pytest.raises(ConfigError, match="MENTORMEET_CAMERA"):
        load_config(data_dir=tmp_path, environ={"MENTORMEET_CAMERA": value})


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", ("127.0.0.1",)), ("localhost", ("127.0.0.1",)), ("0.0.0.0", None), ("::", None)],
)
def test_the_uplink_binds_the_http_hosts_addresses_by_default(tmp_path, host, expected):
    config = load_config(host=host, data_dir=tmp_path, environ={})

    assert config.uplink_addresses == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("127.0.0.1, ::1", ("127.0.0.1", "::1")), ("*", None)]
)
def test_the_uplink_addresses_come_from_the_environment(tmp_path, value, expected):
    environ = {"MENTORMEET_UPLINK_ADDRESSES": value}

    assert load_config(data_dir=tmp_path, environ=environ).uplink_addresses == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [("uplink.example.org", "does not appear to be"), ("192.0.2.250", "not an address of this")],
)
def test_uplink_addresses_must_be_addresses_of_this_machine(tmp_path, value, reason):
    environ = {"MENTORMEET_UPLINK_ADDRESSES": value}

    with pytest.raises(ConfigError, match=f"MENTORMEET_UPLINK_ADDRESSES: .*{reason}"):
        load_config(data_dir=tmp_path, environ=environ)


@pytest.mark.parametrize("name", ["MENTORMEET_ADMIN_TOKEN", "MENTORMEET_SECRET"])
def test_an_admin_token_or_secret_under_32_characters_is_refused_saying_why(tmp_path, name):
    environ = {"MENTORMEET_ADMIN_TOKEN": ENV_TOKEN, "MENTORMEET_SECRET": ENV_SECRET}

    with pytest.raises(
        ConfigError, match=rf"{name} is too short \(31 characters\): it needs at least 32"
    ):
        load_config(data_dir=tmp_path, environ={**environ, name: "x" * (MIN_SECRET_LENGTH - 1)})

    assert load_config(data_dir=tmp_path, environ={**environ, name: "x" * MIN_SECRET_LENGTH})


def test_the_server_does_not_start_with_a_one_letter_admin_token(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MENTORMEET_ADMIN_TOKEN", "a")

    status = main(["serve", "--data-dir", str(tmp_path)])

    assert status == 2
    assert "MENTORMEET_ADMIN_TOKEN is too short (1 characters)" in capsys.readouterr().err


def test_sockets_get_ten_seconds_for_hello_and_fifty_per_address_unless_configured(tmp_path):
    default = load_config(data_dir=tmp_path, environ={})
    configured = load_config(
        data_dir=tmp_path, environ={"MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS": "200"}
    )

    assert default.hello_timeout_seconds == 10
    assert default.max_connections_per_address == 50
    assert configured.max_connections_per_address == 200
    with pytest.raises(ConfigError, match="MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS must be"):
        load_config(data_dir=tmp_path, environ={"MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS": "0"})


def test_sessions_are_kept_unless_a_retention_period_is_set(tmp_path):
    assert load_config(data_dir=tmp_path, environ={}).retention_days is None
    config = load_config(data_dir=tmp_path, environ={"MENTORMEET_RETENTION_DAYS": "90"})
    assert config.retention_days == 90
    for wrong in ("0", "-1", "forever", "nan"):
        with pytest.raises(ConfigError, match="MENTORMEET_RETENTION_DAYS must be a number"):
            load_config(data_dir=tmp_path, environ={"MENTORMEET_RETENTION_DAYS": wrong})


def test_a_standard_webhooks_secret_that_is_not_base64_is_a_config_error(tmp_path):
    environ = {
        "MENTORMEET_WEBHOOK_URL": "https://mpm.example.org/hook",
        "MENTORMEET_WEBHOOK_SECRET": "whsec_not base64!",
    }
    with pytest.raises(ConfigError, match="MENTORMEET_WEBHOOK_SECRET"):
        load_config(data_dir=tmp_path, environ=environ)


def test_the_database_is_the_data_dirs_sqlite_file_unless_configured(tmp_path):
    config = load_config(data_dir=tmp_path, environ={})

    assert config.database is None
    assert config.database_path == tmp_path / "mentormeet.db"


def test_the_database_comes_from_the_environment_and_the_flag_wins(tmp_path):
    environ = {"MENTORMEET_DATABASE_URL": "postgresql://db.example.org/mentormeet"}

    from_environment = load_config(data_dir=tmp_path, environ=environ)
    from_flag = load_config(data_dir=tmp_path, environ=environ, database="other.db")

    assert from_environment.database == "postgresql://db.example.org/mentormeet"
    assert from_flag.database == "other.db"
