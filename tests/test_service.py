"""The support queue: closed forms, the birth-death solver, the simulation, the sampler."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import service


def test_erlang_b_matches_textbook_value():
    # Erlang B with 10 Erlang offered to 10 servers is 0.2146 (standard tables)
    assert service.erlang_b(10, 10.0) == pytest.approx(0.21458, abs=1e-5)


@pytest.mark.parametrize("n", [25, 26, 28, 30, 40])
def test_erlang_c_recursion_agrees_with_log_gamma_form(n):
    a = service.erlang_c(360, 15, n)
    b = service.erlang_c_log_form(360, 15, n)
    assert a["p_wait"] == pytest.approx(b["p_wait"], rel=1e-9)
    assert a["mean_wait"] == pytest.approx(b["mean_wait"], rel=1e-9)


def test_erlang_c_refuses_an_unstable_centre():
    with pytest.raises(ValueError, match="unstable"):
        service.erlang_c(360, 15, 24)


@pytest.mark.parametrize("n", [25, 27, 30])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(n):
    exact = service.erlang_c(360, 15, n)
    for solve in (service.erlang_a, service.erlang_a_chain):
        patient = solve(360, 15, 1e-4, n)
        assert patient.p_wait == pytest.approx(exact["p_wait"], rel=2e-3)
        assert patient.mean_wait == pytest.approx(exact["mean_wait"], rel=5e-3)


def test_erlang_a_single_server_closed_form():
    # M/M/1+M with theta = mu is an M/M/infinity-like chain: pi_k = pi_0 a^k / k!
    lam, mu = 2.0, 3.0
    a = lam / mu
    pi0 = math.exp(-a)
    lq = sum((k - 1) * pi0 * a**k / math.factorial(k) for k in range(2, 60))
    for solve in (service.erlang_a, service.erlang_a_chain):
        stats = solve(lam, mu, mu, 1)
        assert stats.p_wait == pytest.approx(1 - pi0, rel=1e-9)
        assert stats.mean_wait == pytest.approx(60 * lq / lam, rel=1e-9)
        assert stats.p_abandon == pytest.approx(mu * lq / lam, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    lam=st.floats(0.5, 2000),
    mu=st.floats(1, 60),
    theta=st.floats(0.5, 60),
    n=st.integers(1, 300),
)
def test_erlang_a_is_a_probability_model_and_obeys_garnetts_identity(lam, mu, theta, n):
    """On the birth-death chain, where nothing builds them in, Garnett's identity
    and flow balance hold; the closed form gives the chain's numbers."""
    chain = service.erlang_a_chain(lam, mu, theta, n)
    for value in (chain.p_wait, chain.p_abandon, chain.occupancy):
        assert 0.0 <= value <= 1.0 + 1e-12
    assert chain.p_abandon == pytest.approx(theta * chain.mean_wait / 60.0, rel=1e-9, abs=1e-12)
    # flow balance: served work equals busy agent time
    served = lam * (1 - chain.p_abandon)
    assert served / mu == pytest.approx(chain.occupancy * n, rel=1e-6, abs=1e-9)
    closed = service.erlang_a(lam, mu, theta, n)
    for field in ("p_wait", "mean_wait", "p_abandon", "occupancy"):
        assert getattr(closed, field) == pytest.approx(getattr(chain, field), rel=1e-6, abs=1e-12), field


@pytest.mark.parametrize(
    ("x", "y"),
    [(10.0, 1.0), (10.0, 4.9), (10.0, 5.0), (10.0, 10.0), (3.0, 40.0), (400.0, 380.0), (1e4, 10.0)],
)
def test_abandonment_factor_series_and_closed_form_agree(x, y):
    """A(x, y) and P(abandon | wait) against the series summed term by term, on
    both sides of the switch between series and closed form."""
    terms, j = [1.0], 0
    while terms[-1] > 1e-18 * sum(terms) or j < y:
        j += 1
        terms.append(terms[-1] * y / (x + j))
    a = math.fsum(terms)
    given_wait = math.fsum(k * t for k, t in enumerate(terms)) / (y * a)
    log_a, got = service.abandonment_factor(x, y)
    assert log_a == pytest.approx(math.log(a), rel=1e-9, abs=1e-12)
    assert got == pytest.approx(given_wait, rel=1e-7, abs=1e-12)


def test_more_agents_never_wait_longer():
    waits = [service.erlang_a(360, 15, 6, n).mean_wait for n in range(20, 35)]
    assert all(a > b for a, b in zip(waits, waits[1:], strict=False))


def test_simulation_abandons_nobody_without_patience_limit():
    sim = service.simulate_queue(50, 10, 6, 0.0, 50, np.random.default_rng(3))
    assert not sim["abandoned"].any()
    assert (sim["wait"] >= 0).all()


def test_simulation_exact_trajectory_on_a_tiny_centre():
    # one agent, hand-checked: arrivals and handling drawn from the seeded rng
    rng = np.random.default_rng(11)
    sim = service.simulate_queue(4.0, 2.0, 1, 0.0, 2.0, rng)
    rng = np.random.default_rng(11)
    count = rng.poisson(8.0)
    arrival = np.sort(rng.uniform(0, 2.0, count))
    handle = rng.exponential(0.5, count)
    free, expected = 0.0, []
    for t, h in zip(arrival, handle, strict=True):
        start = max(t, free)
        expected.append(60 * (start - t))
        free = start + h
    assert sim["wait"] == pytest.approx(expected)


def test_drawn_contacts_reproduce_the_steady_state():
    stats = service.erlang_a(20, 60 / 6.5, 6, 3)
    needed, held, hung_up = service.draw_contacts(stats, 6, 400_000, np.random.default_rng(5))
    se = math.sqrt(stats.p_abandon * (1 - stats.p_abandon) / len(held))
    assert hung_up.mean() == pytest.approx(stats.p_abandon, abs=4 * se)
    assert held.mean() == pytest.approx(stats.mean_wait, rel=0.02)
    assert (needed > 0).mean() == pytest.approx(stats.p_wait, abs=0.005)


def test_square_root_staffing():
    assert service.required_agents(100, 1.0, 0.5) == 105
    assert service.required_agents(100, 0.5, 0.5) == 52
    assert service.required_agents(0, 1.0, 0.5) == 1


def test_a_centre_nobody_calls_or_nobody_answers():
    for solve in (service.erlang_a, service.erlang_a_chain):
        assert solve(0.0, 15, 6, 5) == service.QueueStats(0.0, 0.0, 0.0, 0.0)
        unanswered = solve(30.0, 15, 6, 0)
        assert unanswered.p_abandon == 1.0 and unanswered.mean_wait == pytest.approx(10.0)
