"""The sign-out generation, kept in one file of the data dir."""

from server.sign_outs import SignOuts


def test_the_generation_starts_at_zero_and_each_sign_out_is_kept_on_disk(tmp_path):
    path = tmp_path / "mpm_signouts"
    sign_outs = SignOuts(path)
    assert sign_outs.generation == 0

    sign_outs.sign_out_everyone()
    sign_outs.sign_out_everyone()

    assert sign_outs.generation == 2
    assert SignOuts(path).generation == 2
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["mpm_signouts"]  # no partial file left
