"""``make test``'s dependency audit: pip-audit of the lock file the venv is installed from.

It reads the pinned versions (and checks their hashes are there) without installing
anything; with no lock file named it audits the packages installed in the venv.

Known vulnerabilities fail the build. When no vulnerability service answers (no network,
or an index mirror without PyPI's JSON API, where pip-audit finds no package at all), the
audit is skipped with a message that says so, instead of passing as "no vulnerabilities".

Run it as ``python -m tests.dependency_audit [LOCK_FILE]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["command", "main", "verdict"]

COMMAND = [
    sys.executable,
    "-m",
    "pip_audit",
    "--progress-spinner",
    "off",
    "--skip-editable",  # mentormeet itself is not on PyPI
    "--timeout",
    "10",
    "--format",
    "json",
]
TIMEOUT_SECONDS = 300


def fixed_in(vulnerability: dict[str, Any]) -> str:
    return ", ".join(vulnerability["fix_versions"]) or "no release yet"


def verdict(returncode: int, report: str | None, stderr: str) -> tuple[int, str]:
    """The exit status and message for a pip-audit run's exit code, JSON report and stderr."""
    try:
        dependencies: list[dict[str, Any]] = json.loads(report or "")["dependencies"]
    except (ValueError, KeyError, TypeError):
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {returncode}"
        return 0, f"pip-audit skipped: {reason}"
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d['version']}: {v['id']} (fixed in {fixed_in(v)})"
            for d in vulnerable
            for v in d["vulns"]
        ]
        return 1, "pip-audit found known vulnerabilities:\n" + "\n".join(lines)
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = len(dependencies) - len(audited)
    if not audited:
        first = dependencies[0]["skip_reason"] if dependencies else "no packages"
        return 0, (
            f"pip-audit skipped: the vulnerability service knows none of the {skipped} "
            f"packages (unreachable or no JSON API); first: {first}"
        )
    note = f", {skipped} could not be audited" if skipped else ""
    return 0, f"pip-audit: no known vulnerabilities in {len(audited)} packages{note}"


def command(lock: str | None) -> list[str]:
    """The pip-audit command line: the lock's pins as they are, or the venv's packages."""
    if lock is None:
        return COMMAND
    return [*COMMAND, "--requirement", lock, "--require-hashes", "--disable-pip"]


def main(argv: list[str] | None = None) -> int:
    """Run pip-audit and print what it means; the exit status fails only on findings."""
    args = sys.argv[1:] if argv is None else argv
    lock = args[0] if args else None
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "audit.json"
        try:
            run = subprocess.run(
                [*command(lock), "--output", str(output)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            print(f"pip-audit skipped: no answer within {TIMEOUT_SECONDS} s")
            return 0
        report = output.read_text() if output.exists() else None
    status, message = verdict(run.returncode, report, run.stderr)
    print(message)
    return status


if __name__ == "__main__":
    sys.exit(main())
