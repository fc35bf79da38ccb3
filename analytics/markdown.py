"""User text made safe to place in Markdown: it reads as the words typed, and nothing else.

Names, agenda items, notes, concerns and comments go into ``summary.md`` and the emails'
text parts. Whatever someone typed must not become a heading, a list item, a table row
or cell, a link or image, emphasis, code, HTML, a comment, a block quote or a thematic
break there, in CommonMark or in GitHub Flavored Markdown. So:

* every character that opens inline syntax anywhere in a line is backslash-escaped
  (``\\ ` * _ [ ] < > | ~ &``), which also rules out raw HTML, ``<!--``, autolinks,
  links, images, emphasis, code spans and fences, strikethrough and table cells;
* what starts a block only at the start of a line (``#``, ``+``, ``-``, ``=``, ``1.``,
  ``1)``) is escaped there, and leading spaces (indented code) are dropped;
* a bare link, which GFM renderers and mail readers make of a URL, a ``www.`` or any
  other domain name or an email address by themselves, is defanged the way security
  advisories write them, visibly: ``https[:]//example[.]org``, ``ada[@]example[.]org``
  (a dot between a word and two letters or more, as in ``notes[.]md``, counts as one);
* control characters become spaces; a line break either becomes a space (one-line
  fields), a visible ``↵`` (table cells, which cannot hold one) or a new line indented
  to stay inside its list item (notes, concerns, comments), blank lines dropped.
"""

from __future__ import annotations

import re

__all__ = ["md_block", "md_cell", "md_inline"]

LINE_BREAK_IN_CELL = " ↵ "

# Opens inline syntax wherever it stands; `>` also opens a block quote at a line start.
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<>|~&])")
# Starts a block (heading, list item, setext underline or thematic break) at a line start.
_BLOCK_START = re.compile(r"^([#+=-])")
_ORDERED_MARKER = re.compile(r"^(\d{1,9})([.)])")
# What GFM's extended autolinks, linkifiers and mail readers turn into links by themselves:
# a scheme, an address's @, and the dot of a domain name (www. included).
_SCHEME_COLON = re.compile(
    r"(?:(?<=mailto)|(?<=xmpp)|(?<=javascript)|(?<=vbscript)|(?<=data)):|:(?=//)", re.I
)
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_]{2,}(?!\w))")
_EMAIL_AT = re.compile(r"(?<=[\w.+-])@(?=[\w-])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[str]:
    """The text's non-blank lines, stripped, control characters turned into spaces."""
    lines = (_CONTROL.sub(" ", line).strip() for line in _NEWLINES.split(text))
    return [line for line in lines if line]


def _escape_line(line: str) -> str:
    escaped = _INLINE_SYNTAX.sub(r"\\\1", line)
    escaped = _SCHEME_COLON.sub(r"\\[:\\]", escaped)
    escaped = _EMAIL_AT.sub(r"\\[@\\]", escaped)
    escaped = _DOMAIN_DOT.sub(r"\\[.\\]", escaped)
    ordered = _ORDERED_MARKER.match(escaped)
    if ordered:
        return f"{ordered.group(1)}\\{ordered.group(2)}{escaped[ordered.end() :]}"
    return _BLOCK_START.sub(r"\\\1", escaped)


def md_inline(text: str) -> str:
    """One-line text (a name, an agenda item) for anywhere in a line of Markdown."""
    return " ".join(_escape_line(line) for line in _lines(text))


def md_cell(text: str) -> str:
    """Text for a GFM table cell: one line, its line breaks shown as ``↵``."""
    return LINE_BREAK_IN_CELL.join(_escape_line(line) for line in _lines(text))


def md_block(text: str, indent: int = 2) -> str:
    """Multi-line text (a note, a concern) that stays inside the list item it ends.

    ``indent`` is the column where the item's text starts (2 for ``- ``); following lines
    are indented by that much so that no renderer takes them out of the item.
    """
    return ("\n" + " " * indent).join(_escape_line(line) for line in _lines(text))
