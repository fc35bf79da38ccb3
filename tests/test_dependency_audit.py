import json

from tests.dependency_audit import verdict


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
