"""The outbox channel: files on disk, replaced whole."""

import json

from analytics.report import render_html_document, render_markdown, to_json
from server.outbox import OutboxChannel
from tests.events import meeting, summary_of


async def test_the_outbox_gets_html_markdown_and_json_and_no_partial_files(tmp_path):
    summary = summary_of(meeting(minutes=30))
    outbox = tmp_path / "outbox" / "mpm"

    await OutboxChannel(outbox).deliver(summary)

    assert sorted(path.name for path in outbox.iterdir()) == ["s1.html", "s1.json", "s1.md"]
    assert (outbox / "s1.html").read_text() == render_html_document(summary)
    assert (outbox / "s1.md").read_text() == render_markdown(summary)
    assert json.loads((outbox / "s1.json").read_text()) == to_json(summary)


async def test_delivering_again_replaces_the_files_whole(tmp_path):
    channel = OutboxChannel(tmp_path)
    await channel.deliver(summary_of(meeting(minutes=30)))
    again = summary_of(meeting(minutes=45))

    await channel.deliver(again)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["s1.html", "s1.json", "s1.md"]
    assert json.loads((tmp_path / "s1.json").read_text()) == to_json(again)
    assert (tmp_path / "s1.md").read_text() == render_markdown(again)
