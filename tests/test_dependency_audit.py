import json
import re
import tomllib
from pathlib import Path

from tests.dependency_audit import command, verdict

ROOT = Path(__file__).parent.parent
LOCK = ".ci/requirements.lock"
TEST_LOCK = ".ci/requirements-test.lock"


def report(*dependencies):
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


AUDITED = {"name": "jinja2", "version": "3.1.6", "vulns": []}
NOT_FOUND = {"name": "aiohttp", "skip_reason": "Dependency not found on PyPI: aiohttp (3.14.5)"}
VULNERABLE = {
    "name": "aiohttp",
    "version": "3.9.0",
    "vulns": [{"id": "GHSA-5h86-8mv2-jq9f", "fix_versions": ["3.9.2"], "aliases": []}],
}


def test_a_known_vulnerability_fails_the_build_and_names_the_fix():
    status, message = verdict(1, report(AUDITED, VULNERABLE), "")

    assert status == 1
    assert "aiohttp 3.9.0: GHSA-5h86-8mv2-jq9f (fixed in 3.9.2)" in message


def test_a_clean_audit_passes_and_says_how_much_it_checked():
    assert verdict(0, report(AUDITED, NOT_FOUND), "") == (
        0,
        "pip-audit: no known vulnerabilities in 1 packages, 1 could not be audited",
    )


def test_an_unreachable_service_is_a_skip_with_the_reason():
    stderr = "Traceback …\nrequests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'\n"

    status, message = verdict(1, None, stderr)

    assert status == 0
    assert message == (
        "pip-audit skipped: requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'"
    )


def test_an_index_that_knows_no_package_is_a_skip_not_a_pass():
    status, message = verdict(0, report(NOT_FOUND, NOT_FOUND), "")

    assert status == 0
    assert message.startswith("pip-audit skipped: the vulnerability service knows none of the 2")


def test_the_audit_reads_the_locks_pins_and_hashes_without_installing():
    audit = command(TEST_LOCK)

    assert audit[-4:] == ["--requirement", TEST_LOCK, "--require-hashes", "--disable-pip"]
    assert "--requirement" not in command(None)


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, tuple[str, int]]:
    """Each pinned package of a lock file: its version and how many hashes it carries."""
    found: dict[str, tuple[str, int]] = {}
    name = None
    for line in lock.read_text().splitlines():
        if match := re.match(r"([A-Za-z0-9][\w.-]*)==([^\s\\]+)", line):
            name = normalised(match[1])
            found[name] = (match[2], 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
    return found


def requirement_names(requirements: list[str]) -> set[str]:
    return {normalised(re.split(r"[<>=!~;\[ ]", requirement)[0]) for requirement in requirements}


def test_the_locks_pin_every_dependency_with_hashes_and_agree_with_each_other():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = requirement_names(project["dependencies"])
    test = requirement_names(project["optional-dependencies"]["test"])
    run_lock, test_lock = pins(ROOT / LOCK), pins(ROOT / TEST_LOCK)

    assert runtime <= set(run_lock)
    assert runtime | test <= set(test_lock)
    assert all(hashes > 0 for _, hashes in [*run_lock.values(), *test_lock.values()])
    assert {name: run_lock[name][0] for name in run_lock} == {
        name: test_lock[name][0] for name in run_lock
    }
