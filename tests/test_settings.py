"""Environment settings: each one checked, none taken for something it is not."""

import re

import pytest

from server.config import ConfigError, load_config
from server.settings import SETTINGS, SettingError, boolean, number, url, whole_number


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e999", "ten", "-1", "31"])
def test_a_number_is_finite_and_within_its_range(raw):
    with pytest.raises(SettingError, match="a number of minutes of at least 0 and at most 30"):
        number(0, 30, "minutes")(raw)


def test_a_number_in_range_is_read_as_it_is():
    assert number(0, 30)("12.5") == 12.5
    assert number(0, above_low=True)("0.5") == 0.5
    with pytest.raises(SettingError, match="over 0"):
        number(0, above_low=True)("0")


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("YES", True), ("0", False), ("off", False)]
)
def test_a_boolean_has_its_usual_spellings(raw, value):
    assert boolean(raw) is value


@pytest.mark.parametrize("raw", ["maybe", "", "2", "truee"])
def test_anything_else_is_no_boolean(raw):
    with pytest.raises(SettingError, match="true or false"):
        boolean(raw)


@pytest.mark.parametrize("raw", ["meet.example.org", "ftp://meet.example.org", "https://", "/mpm"])
def test_a_url_has_an_http_scheme_and_a_host(raw):
    with pytest.raises(SettingError, match="URL with a host"):
        url(raw)


def test_a_whole_number_has_no_fraction_and_stays_in_range():
    assert whole_number(1, 65535)("587") == 587
    for raw in ("0", "65536", "5.5", "-3"):
        with pytest.raises(SettingError):
            whole_number(1, 65535)(raw)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MENTORMEET_OVERRUN_LIMIT_MINUTES", "nan"),
        ("MENTORMEET_OVERRUN_LIMIT_MINUTES", "inf"),
        ("MENTORMEET_EMPTY_ROOM_GRACE_MINUTES", "-5"),
        ("MENTORMEET_SMTP_STARTTLS", "maybe"),
        ("MENTORMEET_SMTP_PORT", "smtp"),
        ("MENTORMEET_PUBLIC_URL", "meet.example.org"),
        ("MENTORMEET_WEBHOOK_URL", "javascript:alert(1)"),
        ("MENTORMEET_MPM_EMAIL", "the program manager"),
        ("MENTORMEET_RETENTION_DAYS", "inf"),
        ("MENTORMEET_DATABASE_URL", "mysql://db.example.org/mentormeet"),
    ],
)
def test_a_setting_that_cannot_be_used_stops_the_server_naming_it(tmp_path, name, value):
    with pytest.raises(ConfigError, match=rf"^{name} must be .*, not {re.escape(repr(value))}$"):
        load_config(data_dir=tmp_path, environ={name: value})


def test_starttls_can_be_turned_off_in_so_many_words(tmp_path):
    environ = {"MENTORMEET_SMTP_STARTTLS": "false"}

    assert load_config(data_dir=tmp_path, environ=environ).delivery.smtp_starttls is False
    assert load_config(data_dir=tmp_path, environ={}).delivery.smtp_starttls is True


def test_every_setting_is_named_once_and_described():
    names = [setting.name for setting in SETTINGS]

    assert len(names) == len(set(names))
    assert all(name.startswith("MENTORMEET_") for name in names)
    assert all(setting.help and setting.default for setting in SETTINGS)
