"""The summary as JSON, Markdown and HTML."""

import json
from dataclasses import replace

from analytics.events import NoteAdded, Person
from analytics.report import (
    iso,
    render_concern_alert,
    render_html_document,
    render_html_fragment,
    render_markdown,
    to_json,
)
from tests.events import (
    MINUTE,
    SCHEDULED,
    T0,
    camera,
    checked,
    concern,
    concern_alert,
    ended,
    meeting,
    rated,
    summary_of,
)
from tests.utils import (
    AGENDA_KEYS,
    FLAG_KEYS,
    ITEM_KEYS,
    PARTICIPANT_KEYS,
    SUMMARY_KEYS,
    markdown_tokens,
)


def flagged_meeting():
    """Ended 15 minutes early, one camera off half of it, one of three items covered."""
    return summary_of(
        [
            *meeting(
                camera("mentor", "off", T0 + 15 * MINUTE),
                checked(1, T0 + 10 * MINUTE),
                NoteAdded(at=T0 + 11 * MINUTE, actor="mentoree", item_id=1, note="aim for staff"),
                covered=0,
                minutes=30,
            ),
            concern("mentoree", "Mic trouble", T0 + 31 * MINUTE),
            rated("mentoree", 4, "Useful", T0 + 32 * MINUTE),
        ]
    )


def test_iso_is_utc_with_a_z_and_none_stays_none():
    assert iso(T0) == "2030-05-01T14:00:00Z"
    assert iso(T0 + 0.5) == "2030-05-01T14:00:00.500000Z"
    assert iso(None) is None


def test_json_has_every_key_the_issue_asks_for():
    data = to_json(flagged_meeting())

    assert set(data) >= SUMMARY_KEYS
    assert set(data["participants"]) == {"mentor", "mentoree"}
    for participant in data["participants"].values():
        assert set(participant) >= PARTICIPANT_KEYS
    assert set(data["agenda"]) >= AGENDA_KEYS
    assert data["agenda"]["items"]
    for item in data["agenda"]["items"]:
        assert set(item) >= ITEM_KEYS
    assert data["flags"]
    for flag in data["flags"]:
        assert set(flag) == FLAG_KEYS


def test_json_times_are_iso_and_numbers_are_the_summarys():
    data = to_json(flagged_meeting())

    assert data["scheduled_start"] == "2030-05-01T14:00:00Z"
    assert data["started_at"] == "2030-05-01T14:00:00Z"
    assert data["ended_at"] == "2030-05-01T14:30:00Z"
    assert data["agenda"]["sent_at"] == "2030-04-30T14:00:00Z"
    assert data["concerns"] == [
        {
            "role": "mentoree",
            "name": "Grace Hopper",
            "text": "Mic trouble",
            "at": "2030-05-01T14:31:00Z",
        }
    ]
    assert (data["duration_seconds"], data["ended_early"], data["overrun_seconds"]) == (
        1800.0,
        True,
        0.0,
    )
    assert data["participants"]["mentor"]["camera_on_share"] == 0.5
    assert data["participants"]["mentoree"]["rating"] == 4
    assert (data["agenda"]["covered"], data["agenda"]["total"]) == (1, 3)
    first = data["agenda"]["items"][0]
    assert (first["text"], first["done"], first["note"], first["seconds"]) == (
        "Career goals",
        True,
        "aim for staff",
        600.0,
    )
    assert [flag["code"] for flag in data["flags"]] == [
        "camera_off",
        "agenda_not_covered",
        "concern_raised",
        "ended_early",
    ]


def test_json_survives_a_round_trip_through_json_text():
    data = to_json(flagged_meeting())

    assert json.loads(json.dumps(data)) == data


def test_json_of_a_no_show_has_no_start_time():
    summary = summary_of([SCHEDULED, ended(T0 + 75 * MINUTE, "system", "hard_maximum")])

    data = to_json(summary)

    assert data["started_at"] is None
    assert data["agenda"]["sent_at"] is None
    assert [flag["code"] for flag in data["flags"]] == ["no_agenda", "no_show"]


def test_markdown_names_the_pair_and_shows_flags_agenda_and_concerns():
    markdown = render_markdown(flagged_meeting())

    assert markdown.startswith("# Ada Lovelace & Grace Hopper\n")
    assert "ended 15 minutes early" in markdown
    assert "Ada Lovelace's camera was on 50% of the time." in markdown
    assert "(camera_off, tip 1: Don't skip video)" in markdown
    assert "## Agenda: 1 of 3 covered" in markdown
    assert "- [x] Career goals (10 min 00 s): aim for staff" in markdown
    assert "- [ ] Code review habits" in markdown
    assert "| Grace Hopper (mentoree) |" in markdown
    assert '4/5 "Useful"' in markdown
    assert "**Grace Hopper** (2030-05-01 14:31 UTC): Mic trouble" in markdown


def unseen_meeting():
    """Grace's camera: no face for 15 minutes, then the server could not see it for 3."""
    return summary_of(
        meeting(
            camera("mentoree", "no_face", T0 + 5 * MINUTE),
            camera("mentoree", "on", T0 + 20 * MINUTE),
            camera("mentoree", "unknown", T0 + 42 * MINUTE),
        )
    )


def test_the_pages_say_camera_on_and_face_in_view_and_unknown_time_in_words():
    summary = unseen_meeting()
    markdown = render_markdown(summary)
    html = render_html_fragment(summary)

    assert "| Ada Lovelace (mentor) | 45 min 00 s | on 100%, in view 100% |" in markdown
    assert "| Grace Hopper (mentoree) | 45 min 00 s | on 93%, in view 60% |" in markdown
    assert '<td class="camera-time">on 93%, in view 60%</td>' in html
    unseen = "The server could not see Grace Hopper's camera for 3 min 00 s (7% of their time"
    assert unseen in markdown
    assert unseen in html
    assert "could not see Ada" not in markdown + html


def test_a_moment_without_a_picture_on_joining_is_not_worth_a_word():
    summary = summary_of(meeting(camera("mentor", "unknown", T0), camera("mentor", "on", T0 + 2)))
    assert summary.participants["mentor"].camera_unknown_seconds == 2.0
    assert "could not see" not in render_markdown(summary) + render_html_fragment(summary)


def test_markdown_of_a_meeting_without_flags_says_so():
    markdown = render_markdown(summary_of(meeting()))

    assert "Nothing to flag" in markdown
    assert "## Concerns raised" not in markdown


def test_html_fragment_is_an_article_marked_for_tests_with_names_flags_and_agenda():
    html = render_html_fragment(flagged_meeting())

    assert html.startswith('<article class="summary" data-testid="summary" data-session-id="s1">')
    assert html.rstrip().endswith("</article>")
    assert "<h1>Ada Lovelace &amp; Grace Hopper</h1>" in html
    for code in ("camera_off", "agenda_not_covered", "concern_raised", "ended_early"):
        assert f'data-code="{code}"' in html
    assert "Ada Lovelace&#39;s camera was on 50% of the time." in html
    assert "Career goals" in html
    assert "Code review habits" in html
    assert "Mic trouble" in html
    assert "<script" not in html
    assert "<style" not in html


def test_html_document_wraps_the_fragment_with_its_own_styles():
    summary = flagged_meeting()

    document = render_html_document(summary)

    assert document.startswith("<!doctype html>")
    assert "<title>Session summary: Ada Lovelace &amp; Grace Hopper</title>" in document
    assert "<style>" in document
    assert render_html_fragment(summary).strip() in document


def test_html_escapes_what_people_typed():
    script = "<script>alert(1)</script>"
    scheduled = replace(SCHEDULED, mentor=Person(name=f"Mallory {script}"))
    summary = summary_of(
        [
            *meeting(
                NoteAdded(at=T0 + 60, actor="mentoree", item_id=1, note=f"note {script}"),
                scheduled=scheduled,
            ),
            concern("mentoree", f'concern "{script}"', T0 + 50 * MINUTE),
            rated("mentor", 2, f"comment {script}", T0 + 51 * MINUTE),
        ]
    )

    for html in (render_html_fragment(summary), render_html_document(summary)):
        assert "<script" not in html
        assert "Mallory &lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "note &lt;script&gt;" in html
        assert "concern &#34;&lt;script&gt;" in html
        assert "comment &lt;script&gt;" in html


def attacked_meeting():
    """Every field people type, each trying to make Markdown structure of its own."""
    forged = "Career goals\n\n## Flags\n\nNothing to flag: this meeting followed all five tips."
    scheduled = replace(
        SCHEDULED,
        mentor=Person(name="Mallory <script>alert(1)</script>"),
        mentoree=Person(name="[Grace](https://evil.com)\r\n# Hopper"),
    )
    return summary_of(
        [
            *meeting(
                NoteAdded(at=T0 + 60, actor="mentoree", item_id=1, note="ok\n\n<!-- hide"),
                scheduled=scheduled,
                agenda=[forged, "[x](javascript:alert(1)) see https://evil.com", "***"],
            ),
            concern("mentoree", "bare www.evil.com\n> quoted\n```\nfence", T0 + 50 * MINUTE),
            rated("mentor", 2, "fine |\n| forged | row | 5/5 |", T0 + 51 * MINUTE),
        ]
    )


def test_markdown_makes_no_structure_of_what_people_typed():
    markdown = render_markdown(attacked_meeting())
    tokens = markdown_tokens(markdown)
    found = [token.type for token in tokens]

    headings = [tokens[i + 1].content for i, t in enumerate(found) if t == "heading_open"]
    assert [h.split(" ")[0] for h in headings] == [
        "Mallory",
        "Flags",
        "Participants",
        "Agenda:",
        "Concerns",
    ]
    nothing_to_flag = [t for t in tokens if "Nothing to flag" in t.content and t.type == "inline"]
    assert ["Career goals" in t.content for t in nothing_to_flag] == [True]  # the item's text
    for structure in ("link_open", "image", "html_block", "html_inline", "fence", "code_inline"):
        assert structure not in found
    for structure in ("code_block", "blockquote_open", "hr", "em_open", "s_open"):
        assert structure not in found
    assert (found.count("tr_open"), found.count("td_open")) == (3, 12)  # header + two rows
    assert found.count("list_item_open") == 3 + 1 + 1  # agenda items, the flag, the concern
    text = "".join(t.content for t in tokens if t.type == "text")
    assert "<!-- hide" in text
    assert "<script>alert(1)</script>" in text
    assert "https[:]//evil[.]com" in text


def test_the_concern_alert_text_makes_no_structure_of_what_people_typed():
    alert = concern_alert(name="Grace\r\n# Hopper", text="[x](https://evil.com)\n<!-- hide\n- item")

    text = render_concern_alert(alert)

    found = [token.type for token in markdown_tokens(text)]
    assert found.count("paragraph_open") == 2
    assert not {"heading_open", "link_open", "html_block", "html_inline", "bullet_list_open"} & set(
        found
    )
    assert "raised a concern during the session s1 at 2030-05-01T14:00:00Z" in text
