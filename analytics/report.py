"""The summary in the forms people and programs read: JSON, Markdown and HTML."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jinja2

from analytics.flags import TIPS
from analytics.markdown import md_block, md_cell, md_inline
from analytics.summary import Summary

if TYPE_CHECKING:  # outgoing.py imports this module
    from analytics.outgoing import ConcernAlert

__all__ = [
    "iso",
    "render_concern_alert",
    "render_html_document",
    "render_html_fragment",
    "render_markdown",
    "to_json",
]


def iso(timestamp: float | None) -> str | None:
    """An epoch timestamp as ISO-8601 in UTC, or ``None``."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def to_json(summary: Summary) -> dict[str, Any]:
    """The summary as JSON-ready data: the same structure, with times in ISO-8601."""
    data = asdict(summary)
    for key in ("scheduled_start", "started_at", "ended_at"):
        data[key] = iso(data[key])
    data["agenda"]["sent_at"] = iso(data["agenda"]["sent_at"])
    for concern in data["concerns"]:
        concern["at"] = iso(concern["at"])
    data["agenda"]["items"] = list(data["agenda"]["items"])
    data["concerns"] = list(data["concerns"])
    data["flags"] = list(data["flags"])
    return data


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "—"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("analytics", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# User text in Markdown: every interpolation of it in a .md template goes through one of these.
_environment.filters.update(md=md_inline, md_cell=md_cell, md_block=md_block)

_environment.filters.update(duration=_duration, when=_when, iso=iso, percent=_percent)
# Joining always leaves a moment without a picture (the wait for the first frame); the
# summary mentions unknown camera time from this many seconds on.
UNKNOWN_WORTH_SAYING_SECONDS = 10.0
_environment.globals.update(tips=TIPS, unknown_worth_saying=UNKNOWN_WORTH_SAYING_SECONDS)


def render_html_fragment(summary: Summary) -> str:
    """The summary as an ``<article>`` to embed in a page (no styles, no scripts)."""
    return _environment.get_template("summary_body.html").render(s=summary)


def render_html_document(summary: Summary) -> str:
    """The summary as a whole HTML document with its own styles, for email and files."""
    return _environment.get_template("summary_email.html").render(s=summary)


def render_markdown(summary: Summary) -> str:
    """The summary as Markdown (also the plain-text part of the email)."""
    return _environment.get_template("summary.md").render(s=summary)


def render_concern_alert(alert: ConcernAlert) -> str:
    """A concern raised during the meeting, as the text of an email (Markdown, escaped)."""
    return _environment.get_template("concern_alert.md").render(alert=alert)
