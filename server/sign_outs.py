"""The MPM's sign-outs, counted in the data dir, so that signing out ends a session for good.

A sign-in cookie lives in the browser; clearing it there would leave a copy taken before
(another browser, a stolen cookie) valid until it expires. Every sign-out advances a
generation number that the cookie's signing key includes: every cookie issued before it
stops counting, after a restart too. It signs out every browser the MPM signed in with.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SignOuts"]


class SignOuts:
    """The sign-out generation, read from and written to one file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        try:
            self.generation = int(path.read_text().strip() or 0)
        except FileNotFoundError:
            self.generation = 0

    def sign_out_everyone(self) -> None:
        """Advance the generation and keep it on disk before returning."""
        generation = self.generation + 1
        partial = self._path.with_name(self._path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"{generation}\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self._path)
        self.generation = generation
