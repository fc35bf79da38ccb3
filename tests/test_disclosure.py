"""Who reads what of a summary: every reader against every field a participant could leak."""

from __future__ import annotations

import pytest

from analytics.disclosure import READERS, summary_for
from analytics.report import render_html_fragment, render_markdown, to_json
from tests.events import MINUTE, T0, concern, meeting, rated, summary_of

END = T0 + 45 * MINUTE
ADA_CONCERN = "Grace never prepares anything"
GRACE_CONCERN = "We keep running out of time"


def summary(*, grace_shares: bool = False, ada_shares: bool = False):
    """A meeting in which Grace raised two concerns and Ada one, and both rated it."""
    events = meeting(
        concern("mentoree", GRACE_CONCERN, T0 + 10 * MINUTE),
        concern("mentor", ADA_CONCERN, T0 + 20 * MINUTE),
    )
    events += [
        concern("mentoree", "And the camera kept freezing", END + MINUTE),
        rated("mentoree", 2, "Too short", END + 2 * MINUTE, shared=grace_shares),
        rated("mentor", 5, "Great progress", END + 3 * MINUTE, shared=ada_shares),
    ]
    return summary_of(events)


def everything_said(readable) -> str:
    """All three renderings a reader can be given, as one text to search."""
    return "\n".join(
        (str(to_json(readable)), render_markdown(readable), render_html_fragment(readable))
    )


def test_the_program_manager_reads_every_concern_rating_and_the_concern_flag():
    whole = summary()
    read = summary_for(whole, "mpm")
    assert read == whole
    assert [c.text for c in read.concerns] == [
        GRACE_CONCERN,
        ADA_CONCERN,
        "And the camera kept freezing",
    ]
    assert read.participants["mentor"].rating == 5
    assert read.participants["mentoree"].rating_comment == "Too short"
    (flag,) = [f for f in read.flags if f.code == "concern_raised"]
    assert flag.message == "3 concerns raised with the program manager."


@pytest.mark.parametrize(
    ("reader", "own", "others"),
    [
        ("mentor", [ADA_CONCERN], [GRACE_CONCERN, "And the camera kept freezing"]),
        ("mentoree", [GRACE_CONCERN, "And the camera kept freezing"], [ADA_CONCERN]),
    ],
)
def test_a_participant_reads_their_own_concerns_and_no_text_of_the_others(reader, own, others):
    read = summary_for(summary(), reader)
    assert [c.text for c in read.concerns] == own
    assert {c.role for c in read.concerns} == {reader}
    text = everything_said(read)
    for concern_text in others:
        assert concern_text not in text


@pytest.mark.parametrize(("reader", "count"), [("mentor", 1), ("mentoree", 2)])
def test_the_concern_flag_counts_only_the_readers_own_concerns(reader, count):
    read = summary_for(summary(), reader)
    (flag,) = [f for f in read.flags if f.code == "concern_raised"]
    plural = "" if count == 1 else "s"
    assert flag.message == f"You raised {count} concern{plural} with the program manager."
    assert "3 concerns" not in everything_said(read)


def test_a_participant_who_raised_no_concern_sees_no_concern_flag_nor_any_count():
    events = meeting(concern("mentoree", GRACE_CONCERN, T0 + 10 * MINUTE))
    read = summary_for(summary_of(events), "mentor")
    assert read.concerns == ()
    assert "concern_raised" not in {f.code for f in read.flags}
    assert to_json(read)["concerns"] == []
    for page in (render_markdown(read), render_html_fragment(read)):
        assert "concern" not in page.lower()


@pytest.mark.parametrize(("reader", "other"), [("mentor", "mentoree"), ("mentoree", "mentor")])
def test_a_participant_reads_their_own_rating_and_not_the_others_unshared_one(reader, other):
    read = summary_for(summary(), reader)
    assert read.participants[reader].rating is not None
    assert read.participants[reader].rating_comment
    assert read.participants[other].rating is None
    assert read.participants[other].rating_comment is None
    hidden = "Too short" if other == "mentoree" else "Great progress"
    assert hidden not in everything_said(read)


def test_a_shared_rating_is_read_by_the_partner():
    whole = summary(grace_shares=True)
    read = summary_for(whole, "mentor")
    assert read.participants["mentoree"].rating == 2
    assert read.participants["mentoree"].rating_comment == "Too short"
    # Ada did not share hers: Grace still cannot read it.
    assert summary_for(whole, "mentoree").participants["mentor"].rating is None


def test_ratings_are_unshared_unless_their_author_chose_otherwise():
    whole = summary()
    assert not any(p.rating_shared for p in whole.participants.values())


@pytest.mark.parametrize("reader", READERS)
def test_every_other_field_reads_the_same_for_every_reader(reader):
    whole = summary()
    read = summary_for(whole, reader)
    untouched = {"concerns", "flags", "participants"}
    for name in whole.__dataclass_fields__:
        if name not in untouched:
            assert getattr(read, name) == getattr(whole, name), name
    other_flags = [f for f in whole.flags if f.code != "concern_raised"]
    assert [f for f in read.flags if f.code != "concern_raised"] == other_flags
    for role, person in whole.participants.items():
        mine = read.participants[role]
        for name in person.__dataclass_fields__:
            if name not in {"rating", "rating_comment"}:
                assert getattr(mine, name) == getattr(person, name), (role, name)
