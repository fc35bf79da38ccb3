"""User text in Markdown reads as the words typed and makes no structure, per a GFM parser."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.markdown import LINE_BREAK_IN_CELL, md_block, md_cell, md_inline
from tests.utils import markdown_tokens

ATTACKS = [
    "# Nothing to flag",
    "x\n\n## Flags\n\nNothing to flag: this meeting followed all five tips.",
    "hide <!-- the rest",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](https://evil.example)",
    "x\n<!-- hide the rest",
    "![img](https://evil.example/a.png)",
    "[ref]\n\n[ref]: https://evil.example",
    "<https://evil.example>",
    "see https://evil.com/path and www.evil.com and mallory@evil.com and evil.com",
    "javascript:alert(1) mailto:mallory@evil.com",
    "| forged | row |\n|---|---|\n| a | b |",
    "text\n===",
    "text\n---",
    "***",
    "- item\n* item\n+ item\n1. item\n2) item",
    "> quoted",
    "```\ncode\n```",
    "~~~\ncode",
    "    indented code",
    "*emphasis that spans\n\nthe document",
    "__strong__ ~~gone~~ `code`",
    "&lt;script&gt; &#60;b&#62;",
    "trailing backslash \\",
    "\\# escaped already",
    "bell\x07 and\x1b[31m escape\r\nand CR\rand NUL\x00",
]

STRUCTURE = {
    "heading_open",
    "link_open",
    "image",
    "html_block",
    "html_inline",
    "code_inline",
    "code_block",
    "fence",
    "blockquote_open",
    "hr",
    "em_open",
    "strong_open",
    "s_open",
    "table_open",
    "bullet_list_open",
    "ordered_list_open",
}


def types(markdown):
    return [token.type for token in markdown_tokens(markdown)]


def plain_text(markdown):
    return "".join(t.content for t in markdown_tokens(markdown) if t.type == "text")


@pytest.mark.parametrize("attack", ATTACKS)
def test_one_line_text_is_one_paragraph_of_text(attack):
    found = types(md_inline(attack))

    assert not STRUCTURE & set(found)
    assert found.count("paragraph_open") <= 1


@pytest.mark.parametrize("attack", ATTACKS)
def test_multi_line_text_stays_inside_its_list_item(attack):
    markdown = f"- **Grace**: {md_block(attack)}\n- second"

    found = types(markdown)

    assert found.count("list_item_open") == 2
    assert found.count("bullet_list_open") == 1
    assert found.count("strong_open") == 1
    assert not (STRUCTURE - {"bullet_list_open", "strong_open"}) & set(found)


@pytest.mark.parametrize("attack", ATTACKS)
def test_text_in_a_table_cell_stays_in_its_cell(attack):
    markdown = f"| who | says |\n|---|---|\n| Ada | {md_cell(attack)} |\n"

    found = types(markdown)

    assert found.count("tr_open") == 2
    assert found.count("td_open") == 2
    assert not (STRUCTURE - {"table_open"}) & set(found)


@given(st.text())
def test_no_text_whatever_makes_structure_in_a_list_item(text):
    found = types(f"- {md_block(text)}\n- second")

    assert found.count("list_item_open") == 2
    assert not (STRUCTURE - {"bullet_list_open"}) & set(found)


@given(st.text())
def test_no_text_whatever_adds_a_table_row_or_cell(text):
    found = types(f"| a | b |\n|---|---|\n| {md_cell(text)} | x |\n")

    assert (found.count("tr_open"), found.count("td_open")) == (2, 2)
    assert not (STRUCTURE - {"table_open"}) & set(found)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"])))
def test_one_line_text_reads_as_typed_once_rendered(text):
    words = " ".join(text.split())
    if any(mark in words for mark in (":", "@", ".")):
        return  # links are defanged on purpose: see the next test
    assert " ".join(plain_text(md_inline(text)).split()) == words


def test_bare_links_are_shown_defanged_and_linked_by_no_renderer():
    text = "see https://evil.com/x, www.evil.com, evil.com, mallory@evil.com, xmpp:m@evil.com"
    assert [t for t in types(text) if t == "link_open"] == ["link_open"] * 5

    markdown = md_inline(text)

    assert "link_open" not in types(markdown)
    assert plain_text(markdown) == (
        "see https[:]//evil[.]com/x, www[.]evil[.]com, evil[.]com, mallory[@]evil[.]com, "
        "xmpp[:]m[@]evil[.]com"
    )


def test_ordinary_text_stays_readable_in_plain_text():
    assert md_inline("Career goals: aim for staff, 2024.") == "Career goals: aim for staff, 2024."
    assert (
        md_inline("Grace's 1:1 at 10:30, v1.2, e.g. this")
        == "Grace's 1:1 at 10:30, v1.2, e.g. this"
    )


def test_line_breaks_become_spaces_arrows_or_indented_lines():
    assert md_inline("one\r\ntwo\n\n three") == "one two three"
    assert md_cell("one\ntwo") == f"one{LINE_BREAK_IN_CELL}two"
    assert md_block("one\n\n- two", indent=4) == "one\n    \\- two"


def test_control_characters_become_spaces():
    assert md_inline("a\x00b\x1bc\x7fd\u2028e") == "a b c d e"
