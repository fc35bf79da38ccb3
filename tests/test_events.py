"""The event types: every one registered under its own name, frozen, and the two roles."""

from dataclasses import FrozenInstanceError

import pytest

from analytics.events import EVENT_TYPES, ROLES, Event, other_role
from tests.events import SCHEDULED


def every_event_class(cls=Event):
    for sub in cls.__subclasses__():
        yield sub
        yield from every_event_class(sub)


def test_every_kind_of_event_is_registered_under_its_type():
    assert set(EVENT_TYPES.values()) == set(every_event_class())
    assert all(EVENT_TYPES[cls.type] is cls for cls in every_event_class())


def test_an_event_cannot_be_changed_once_made():
    with pytest.raises(FrozenInstanceError):
        SCHEDULED.at = 0.0


def test_each_role_has_the_other_at_the_far_end_of_the_call():
    assert [other_role(role) for role in ROLES] == ["mentoree", "mentor"]
