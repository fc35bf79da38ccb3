"""What ``mentormeet serve`` tells the MPM about getting in."""

from importlib import metadata

import pytest

from server.cli import main, sign_in_hint
from server.config import load_config
from server.settings import SETTINGS

BASE = {
    "MENTORMEET_SECRET": "a-signing-secret-of-at-least-32-characters",
    "MENTORMEET_PUBLIC_URL": "https://meet.example.org",
}


def test_an_admin_token_from_the_environment_is_never_printed(tmp_path):
    config = load_config(
        data_dir=tmp_path,
        environ={**BASE, "MENTORMEET_ADMIN_TOKEN": "env-token-that-is-long-enough-0123456789"},
    )

    hint = "\n".join(sign_in_hint(config))

    assert "env-token-that-is-long-enough-0123456789" not in hint
    assert "https://meet.example.org/mpm" in hint
    assert "MENTORMEET_ADMIN_TOKEN" in hint


def test_a_generated_token_is_shown_once_with_where_it_is_kept(tmp_path):
    first = load_config(data_dir=tmp_path, environ=BASE)
    again = load_config(data_dir=tmp_path, environ=BASE)

    first_hint, later_hint = "\n".join(sign_in_hint(first)), "\n".join(sign_in_hint(again))

    assert first.admin_token in first_hint
    assert str(tmp_path / "admin_token") in first_hint
    assert again.admin_token == first.admin_token
    assert first.admin_token not in later_hint
    assert str(tmp_path / "admin_token") in later_hint


def test_no_printed_url_carries_a_token(tmp_path):
    config = load_config(data_dir=tmp_path, environ=BASE)

    urls = [word for line in sign_in_hint(config) for word in line.split() if "://" in word]

    assert urls == ["https://meet.example.org/mpm"]


def test_help_lists_every_environment_setting_with_its_default(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--help"])

    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for setting in SETTINGS:
        assert f"{setting.name} (default: {setting.default})" in out
    assert "--port PORT          port to listen on (default: 8080)" in out
    assert "``" not in out


def test_version_says_which_mentormeet_this_is(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])

    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"mentormeet {metadata.version('mentormeet')}"


def test_the_database_flag_reaches_the_server(tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr("server.cli.run", served.append)
    url = "postgresql://db.example.org/mentormeet"

    status = main(["serve", "--data-dir", str(tmp_path), "--database", url])

    assert status == 0
    assert [config.database for config in served] == [url]


def test_a_database_that_is_neither_a_file_nor_postgresql_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--data-dir", str(tmp_path), "--database", "mysql://db.example.org/m"])

    assert exit_.value.code == 2
    assert "--database" in capsys.readouterr().err
