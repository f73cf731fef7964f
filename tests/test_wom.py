"""Acquisition (Bass), word of mouth and the customers' social network."""

import math

import networkx as nx
import numpy as np
import pytest

from model import network, wom


def test_bass_closed_form_properties():
    p, q = 0.03, 0.38
    assert float(wom.bass_cdf(0.0, p, q)) == 0.0
    t = np.linspace(0, 40, 400)
    f = wom.bass_cdf(t, p, q)
    assert np.all(np.diff(f) > 0) and f[-1] == pytest.approx(1.0, abs=1e-5)
    # density f'(t) = (p + q F)(1 - F) peaks at ln(q/p)/(p+q)
    density = (p + q * f) * (1 - f)
    assert t[np.argmax(density)] == pytest.approx(wom.bass_peak_time(p, q), abs=0.1)


def test_adoption_probability_follows_the_ode_hazard():
    prob = wom.adoption_probability(0.03, 0.38, 0.5, dt=1 / 52)
    assert prob == pytest.approx(1 - math.exp(-(0.03 + 0.19) / 52))


def test_warnings_deter_and_recommendations_attract():
    base = wom.adoption_probability(0.03, 0.38, 0.2)
    assert wom.adoption_probability(0.03, 0.38, 0.2, warnings=2.0, deterrence=0.5) < base
    assert wom.adoption_probability(0.03, 0.38, 0.2, recommendations=2.0, referral_weight=0.2) > base


def test_marketing_share_splits_the_hazard():
    share = wom.marketing_share(0.03, 0.38, np.array([0.0, 1.0]), np.zeros(2), 0.2)
    assert share == pytest.approx([1.0, 0.03 / 0.41])
    no_marketing = wom.marketing_share(0.0, 0.38, np.array([0.0, 1.0]), np.zeros(2), 0.2)
    assert no_marketing.tolist() == [1.0, 0.0], "no hazard at all counts as marketing's, by convention"


def test_small_world_is_symmetric_simple_and_has_the_mean_degree():
    g = network.small_world(5000, 10, 0.1, np.random.default_rng(1))
    assert (g != g.T).nnz == 0
    assert g.diagonal().sum() == 0
    assert set(np.unique(g.data)) == {1.0}
    assert np.diff(g.indptr).mean() == pytest.approx(10, rel=0.01)


def test_small_world_matches_networkx_watts_strogatz_statistics():
    ours = network.to_networkx(network.small_world(2000, 10, 0.1, np.random.default_rng(2)))
    ref = nx.watts_strogatz_graph(2000, 10, 0.1, seed=2)
    assert nx.average_clustering(ours) == pytest.approx(nx.average_clustering(ref), abs=0.03)
    assert nx.average_clustering(ours) > 0.4  # small world: far above a random graph's ~0.005


def test_small_world_odd_degree_adds_half_a_tie_per_person():
    g = network.small_world(4000, 5, 0.0, np.random.default_rng(3))
    assert np.diff(g.indptr).mean() == pytest.approx(5, rel=0.02)


def test_same_seed_same_network_and_different_seed_differs():
    a = network.small_world(500, 6, 0.2, np.random.default_rng(9))
    b = network.small_world(500, 6, 0.2, np.random.default_rng(9))
    c = network.small_world(500, 6, 0.2, np.random.default_rng(10))
    assert (a != b).nnz == 0 and (a != c).nnz > 0


def test_neighbours_and_random_neighbours():
    g = network.small_world(100, 4, 0.0, np.random.default_rng(0))
    assert sorted(network.neighbours(g, np.array([0]))) == [1, 2, 98, 99]
    picks = network.random_neighbours(g, np.zeros(4000, dtype=np.int64), np.random.default_rng(1))
    assert set(picks) == {1, 2, 98, 99}
    assert np.bincount(picks)[[1, 2, 98, 99]] == pytest.approx([1000] * 4, abs=4 * math.sqrt(750))


def test_isolated_people_have_no_random_neighbour_and_no_neighbours_to_count():
    import scipy.sparse as sp

    # 0 - 1 - 2, and 3 alone
    g = sp.csr_matrix((np.ones(4), ([0, 1, 1, 2], [1, 0, 2, 1])), shape=(4, 4))
    picks = network.random_neighbours(g, np.array([3, 1, 3, 0, 2]), np.random.default_rng(2))
    assert picks[[0, 2]].tolist() == [-1, -1] and picks[1] in (0, 2) and picks[3] == 1 and picks[4] == 1
    mask = np.array([True, False, True, True])
    assert network.count_neighbours(g, np.array([3, 1, 0]), mask).tolist() == [0, 2, 0]


def test_count_neighbours_counts_the_marked_contacts_of_each_node():
    rng = np.random.default_rng(3)
    g = network.small_world(300, 6, 0.2, rng)
    mask = rng.random(300) < 0.3
    nodes = rng.choice(300, 40)  # with repeats
    expected = (g @ mask.astype(float))[nodes]
    assert np.array_equal(network.count_neighbours(g, nodes, mask), expected)
    assert network.count_neighbours(g, np.array([], dtype=np.int64), mask).shape == (0,)


def test_spread_reaches_neighbours_and_the_market_in_proportion():
    g = network.small_world(10_000, 10, 0.0, np.random.default_rng(4))
    senders = np.arange(0, 10_000, 10)
    (heard,) = wom.spread([(senders, 9.0)], 0.5, g, np.random.default_rng(5))
    expected = 1000 * 9 * 1.5
    assert len(heard) == pytest.approx(expected, abs=4 * math.sqrt(expected))
    (nobody,) = wom.spread([(np.array([], dtype=np.int64), 9.0)], 0.5, g, np.random.default_rng(5))
    assert nobody.size == 0


def test_spread_keeps_groups_apart():
    """Groups of senders on a ring without rewiring: each group's recipients are
    its own senders' neighbours (5 on each side), in the expected numbers, and
    social media adds ``amplification`` times as many more anywhere."""
    g = network.small_world(10_000, 10, 0.0, np.random.default_rng(4))
    good, bad, quiet = np.arange(10, 5_000, 10), np.arange(5_010, 9_995, 10), np.array([], dtype=np.int64)
    rng = np.random.default_rng(6)
    heard_good, heard_quiet, heard_bad = wom.spread([(good, 3.0), (quiet, 5.0), (bad, 8.0)], 0.0, g, rng)
    assert heard_quiet.size == 0
    assert heard_good.min() >= 5 and heard_good.max() <= 4_995, "near the good senders only"
    assert heard_bad.min() >= 5_005 and heard_bad.max() <= 9_995, "near the bad senders only"
    for heard, k, reach in ((heard_good, len(good), 3.0), (heard_bad, len(bad), 8.0)):
        assert len(heard) == pytest.approx(k * reach, abs=4 * math.sqrt(k * reach))
    with_media = wom.spread([(good, 3.0), (bad, 8.0)], 1.0, g, np.random.default_rng(7))
    for heard, k, reach in zip(with_media, (len(good), len(bad)), (3.0, 8.0), strict=True):
        assert len(heard) == pytest.approx(2 * k * reach, abs=4 * math.sqrt(2 * k * reach))


def test_full_model_acquisition_on_a_random_mixed_market_tracks_bass():
    """Switch the rest of the model off: no churn, no word of mouth, a random
    network (rewiring 1) standing in for a mixed market."""
    from model import CultureModel

    p_year, q_year, n = 0.03, 0.38, 20_000
    model = CultureModel(
        rng=7,
        market_size=n,
        initial_customers=0,
        base_churn=0.0,
        churn_sensitivity=0.0,
        talk_rate=0.0,
        network_rewiring=1.0,
        network_degree=40,
        presale_contact_rate=0.0,
        bass_p=p_year,
        bass_q=q_year,
        n_employees=30,
    )
    for _ in range(5 * 52):
        model.step()
    f = model.market.status.astype(bool).mean()
    exact = float(wom.bass_cdf(5, p_year, q_year))
    assert f == pytest.approx(exact, abs=0.03)  # network and weekly-step effects within 3 points
