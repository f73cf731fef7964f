"""What each metric says about itself (``model.metrics.METRICS``) against what the model does.

Views and docs trust a metric's ``flow`` flag (nothing in row 0), ``better``
direction and unit; these tests hold the flags to the model's own runs.
"""

from __future__ import annotations

import math

import numpy as np

from model.customers import (
    DETRACTOR_BAND,
    DETRACTOR_MAX,
    PASSIVE_BAND,
    PROMOTER_BAND,
    PROMOTER_MIN,
    SCORE_MAX,
    nps,
    promoter_shares,
)
from model.metrics import FLOWS, HIGHER, LOWER, METRICS, market_metrics, organisation_metrics


def test_every_metric_has_a_label_unit_meaning_and_a_known_direction():
    for name, m in METRICS.items():
        assert m.label.strip() and m.unit.strip() and m.meaning.strip(), name
        assert m.better in (HIGHER, LOWER, None), name
    labels = [m.label for m in METRICS.values()]
    assert len(set(labels)) == len(labels), "two metrics share a label"


def test_levels_are_exactly_what_is_measured_on_the_world_and_flows_the_rest(build_model):
    m = build_model()
    levels = {*organisation_metrics(m), *market_metrics(m), "cumulative_profit"}
    assert FLOWS == set(METRICS) - levels


def test_flows_are_empty_in_row_0_and_levels_are_not(run_table):
    first = run_table(steps=3).iloc[0]
    for name in METRICS:
        value = first[name]
        if name in FLOWS:
            assert value == 0 or math.isnan(value), name
    assert (first[["culture_mean", "active_customers", "headcount"]] > 0).all()


def test_nps_bands_are_the_published_definition():
    """Promoters score 9-10, detractors 0-6 [reichheld2003] (MODEL.md section 2)."""
    assert (PROMOTER_BAND, PASSIVE_BAND, DETRACTOR_BAND) == ("9-10", "7-8", "0-6")


def test_nps_bands_split_every_score_once():
    scores = np.arange(SCORE_MAX + 1, dtype=np.int8)
    promoters, detractors = promoter_shares(scores)
    assert promoters * len(scores) == SCORE_MAX + 1 - PROMOTER_MIN
    assert detractors * len(scores) == DETRACTOR_MAX + 1
    assert nps(np.array([PROMOTER_MIN, DETRACTOR_MAX], dtype=np.int8)) == 0.0
    assert nps(np.array([DETRACTOR_MAX + 1], dtype=np.int8)) == 0.0  # a passive
