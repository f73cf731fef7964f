"""What each event says about itself (``model.events.EVENTS``): options, ranges, labels."""

from __future__ import annotations

import pytest

from model.events import EVENTS, Event, Option, check_event
from model.params import ParameterError


def test_every_event_describes_every_option_of_its_function():
    for name, event in EVENTS.items():
        assert event.name == name and event.label.strip() and event.description
        assert set(event.options) == set(event.defaults), name
        event.help.format(**{k: 0.5 if v is None else v for k, v in event.defaults.items()})


def test_an_event_whose_options_do_not_match_its_function_is_refused_when_defined():
    def strike(model, weeks: int = 2) -> None:
        """Staff strike."""

    with pytest.raises(TypeError, match="strike"):
        Event(strike, "Strike", "A strike.", {"days": Option("Days", lo=1, hi=5, whole=True)})


@pytest.mark.parametrize("name", list(EVENTS))
def test_each_numeric_option_accepts_its_bounds_and_refuses_beyond(name):
    for key, option in EVENTS[name].options.items():
        if option.departments:
            check_event(name, {key: ["service"]})
            with pytest.raises(ParameterError, match="departments"):
                check_event(name, {key: ["nowhere"]})
            continue
        check_event(name, {key: option.lo})
        check_event(name, {key: option.hi})
        for beyond in (option.lo - 1, option.hi + 1):
            with pytest.raises(ParameterError, match=key):
                check_event(name, {key: beyond})
        if option.whole:
            with pytest.raises(ParameterError, match="whole"):
                check_event(name, {key: option.lo + 0.5})


def test_an_event_is_called_like_its_function(build_model):
    m = build_model()
    EVENTS["service_breakdown"](m, weeks=3, capacity=0.25)
    assert (m.carry.breakdown_until, m.carry.breakdown_capacity) == (3, 0.25)
