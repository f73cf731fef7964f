"""What each event says about itself (``model.events.EVENTS``): options, ranges, labels."""

from __future__ import annotations

import math

import numpy as np
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


# ---------------------------------------------------------------- the facilitator's market events
def test_a_market_shock_scales_buying_and_marketing_and_a_second_one_recovers(build_model):
    m = build_model()
    before = (m.p.purchase_rate, m.p.bass_p)
    m.fire("market_shock", demand=0.5)
    assert (m.p.purchase_rate, m.p.bass_p) == pytest.approx((0.5 * before[0], 0.5 * before[1]))
    m.fire("market_shock", demand=2.0)
    assert (m.p.purchase_rate, m.p.bass_p) == pytest.approx(before)
    high = build_model(purchase_rate=0.9)
    high.fire("market_shock", demand=2.0)
    assert high.p.purchase_rate == 1.0  # a probability stays one


def test_a_deep_market_shock_cuts_revenue_and_new_customers(run_model):
    calm = run_model(steps=12, seed=3)
    shocked = run_model(steps=12, seed=3, events=[(2, "market_shock", {"demand": 0.2})])
    table = {
        name: m.datacollector.get_model_vars_dataframe().iloc[3:] for name, m in (("c", calm), ("s", shocked))
    }
    assert table["s"].revenue.sum() < 0.5 * table["c"].revenue.sum()
    assert table["s"].acquisitions_marketing.sum() < table["c"].acquisitions_marketing.sum()


def test_a_partner_failure_only_ever_lowers_on_time_delivery(build_model):
    m = build_model(partner_reliability=0.9)
    m.fire("partner_failure", reliability=0.4)
    assert m.p.partner_reliability == 0.4
    m.fire("partner_failure", reliability=0.6)
    assert m.p.partner_reliability == 0.4


def test_a_viral_complaint_gives_one_warning_to_a_share_of_the_market(build_model):
    m = build_model()
    before = m.market.warnings.copy()
    m.fire("viral_complaint", share=0.3)
    added = m.market.warnings - before
    assert set(np.unique(added)) <= {0.0, 1.0} and added.sum() == round(0.3 * len(added))


def test_a_viral_complaint_slows_acquisition(run_model):
    """Everyone hears a warning: in the next two weeks prospects adopt at exp(-deterrence x warnings
    remembered), about 0.7 of the usual rate; over 12 seeds the gap must exceed twice its Poisson SE."""
    won = {"calm": 0, "viral": 0}
    for seed in range(12):
        for name, events in (("calm", []), ("viral", [(1, "viral_complaint", {"share": 1.0})])):
            m = run_model(steps=3, seed=seed, events=events, market_size=5000, initial_customers=1000)
            table = m.datacollector.model_vars
            won[name] += sum(table["acquisitions_marketing"][2:]) + sum(table["acquisitions_referral"][2:])
    assert won["calm"] - won["viral"] > 2 * math.sqrt(won["calm"] + won["viral"]), won
