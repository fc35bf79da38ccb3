"""The outbox channel: each summary as files in a directory the MPM (or a script) reads."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from analytics.report import render_html_document, render_markdown
from analytics.summary import Summary
from server.channel import summary_json_bytes
from server.private import private_dir, write_private

__all__ = ["OutboxChannel"]


@dataclass(frozen=True)
class OutboxChannel:
    """Writes ``<session>.html``, ``.md`` and ``.json``; a new version replaces them whole."""

    directory: Path
    name: str = "outbox"

    async def deliver(self, summary: Summary) -> None:
        """Write the summary's three files, each replacing the last version's at once."""
        files = {
            "html": render_html_document(summary).encode(),
            "md": render_markdown(summary).encode(),
            "json": summary_json_bytes(summary),
        }
        await asyncio.to_thread(self._write, summary.session_id, files)

    def _write(self, session_id: str, files: dict[str, bytes]) -> None:
        private_dir(self.directory)
        for suffix, content in files.items():
            target = self.directory / f"{session_id}.{suffix}"
            partial = target.with_suffix(f".{suffix}.partial")
            write_private(partial, content)
            os.replace(partial, target)  # readers never see half a file
