"""The reference cases of `run.py validate`: they pass, and they can fail.

Each case runs ``CultureModel`` itself with the rest switched off. To show that
a case is not a check that cannot fail, the mechanism it stands on is broken
in turn (the adoption rule, the queue, the culture update) and the case must
then fail.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model import culture, service, validation, wom
from model.validation import format_table, run_all

ROOT = Path(__file__).resolve().parents[1]
SEED = 7


def test_every_reference_case_passes_in_quick_mode():
    rows = run_all(seed=SEED, quick=True)
    failed = [r for r in rows if not r["passed"]]
    assert not failed, failed
    cases = {r["case"].split()[0] for r in rows}
    assert cases == {"erlang_c", "erlang_a", "bass", "culture", "lifetime", "nps"}


def failures(rows: list[dict]) -> list[dict]:
    return [r for r in rows if not r["passed"]]


def bass_rows():
    return validation.bass_case(SEED, market=1_000, replications=3)


def queue_rows():
    return validation.erlang_c_case(SEED, weeks=12, agents=(26, 28)) + validation.erlang_a_case(
        SEED, weeks=12, agents=(25, 28)
    )


def culture_rows():
    return validation.culture_case(SEED, employees=200, weeks=200, replications=10)


def test_the_cases_pass_unbroken():
    for rows in (bass_rows(), queue_rows(), culture_rows()):
        assert not failures(rows)


@pytest.mark.parametrize(
    "broken",
    [
        # a rule that steps by a whole year instead of a week
        lambda real: lambda *a, **k: real(*a, **{**k, "dt": 1.0}),
        # imitation switched off
        lambda real: lambda p, q, *a, **k: real(p, 0.0, *a, **k),
        # innovation and imitation mixed up
        lambda real: lambda p, q, *a, **k: real(q, p, *a, **k),
    ],
    ids=["yearly step", "no imitation", "p and q swapped"],
)
def test_a_broken_adoption_rule_fails_the_bass_case(monkeypatch, broken):
    monkeypatch.setattr(wom, "adoption_probability", broken(wom.adoption_probability))
    assert failures(bass_rows())


@pytest.mark.parametrize(
    "broken",
    [
        lambda real: lambda lam, mu, theta, n: real(lam, mu, theta, n + 1),  # one agent too many
        lambda real: lambda lam, mu, theta, n: real(lam, 1.1 * mu, theta, n),  # handling 10% too fast
    ],
    ids=["agents off by one", "handling rate"],
)
def test_a_broken_queue_fails_the_erlang_cases(monkeypatch, broken):
    monkeypatch.setattr(service, "erlang_a", broken(service.erlang_a))
    bad = failures(queue_rows())
    assert {r["case"].split()[0] for r in bad} == {"erlang_c", "erlang_a"}


@pytest.mark.parametrize(
    "broken",
    [
        # the week without its individual variation
        lambda real: lambda c, weekly, felt, present, noise, rng: real(c, weekly, felt, present, 0.0, rng),
        # the pull toward those above applied twice
        lambda real: (
            lambda c, weekly, felt, present, noise, rng: real(
                real(c, weekly, felt, present, 0.0, rng), weekly, felt, present, noise, rng
            )
        ),
    ],
    ids=["no variation", "double pull"],
)
def test_a_broken_culture_update_fails_the_harrison_carroll_case(monkeypatch, broken):
    monkeypatch.setattr(culture, "culture_week", broken(culture.culture_week))
    assert failures(culture_rows())


def test_the_queue_reference_is_the_birth_death_chain_and_agrees_with_the_closed_forms():
    for n in (1, 5, 24, 30):
        chain = validation.erlang_a_reference(360.0, 15.0, 6.0, n)
        closed = service.erlang_a(360.0, 15.0, 6.0, n)
        assert chain.p_abandon == pytest.approx(closed.p_abandon, rel=1e-6)
        assert chain.mean_wait == pytest.approx(closed.mean_wait, rel=1e-6)
    no_patience_limit = validation.erlang_a_reference(360.0, 15.0, 0.0, 27)
    assert no_patience_limit.p_wait == pytest.approx(service.erlang_c(360.0, 15.0, 27)["p_wait"], rel=1e-6)
    with pytest.raises(ValueError, match="steady state"):
        validation.erlang_a_reference(360.0, 15.0, 0.0, 24)


@pytest.mark.slow
def test_full_validation_passes():
    rows = run_all(seed=SEED)
    assert not failures(rows), failures(rows)


def test_validate_command_prints_json_rows():
    out = subprocess.run(
        [sys.executable, "run.py", "validate", "--json", "--quick"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {"case", "quantity", "analytic", "simulated", "tolerance", "passed"} <= set(rows[0])
    assert len(rows) >= 50


def test_format_table_counts_results():
    text = format_table(
        [{"case": "x", "quantity": "y", "analytic": 1, "simulated": 1, "tolerance": 0.1, "passed": True}]
    )
    assert "1 of 1 comparisons within tolerance" in text
