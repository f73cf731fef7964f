"""Parameters: names, types, ranges, cross-rules, documentation and steering.

Everything is read from ``model.params.SPECS``: no default value is written here.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import math
import re

import pytest

import model.params
from model.params import (
    CALIBRATION,
    LEVER,
    LEVERS_GROUP,
    SPECS,
    STRUCTURAL,
    Kind,
    ParameterError,
    Params,
    levers,
    make_params,
    names,
    param,
)
from model.sources import BIBLIOGRAPHY

NAMES = list(SPECS)
INTEGER_NAMES = [n for n, s in SPECS.items() if s.integer]
LEVERS = levers()
STRUCTURAL_NAMES = names(STRUCTURAL)
CITATION = re.compile(r"\[([^\[\]]+)\]")


def typo(name: str) -> str:
    """``name`` with two middle characters swapped (or one replaced)."""
    k = len(name) // 2
    if name[k] != name[k + 1]:
        return name[:k] + name[k + 1] + name[k] + name[k + 2 :]
    return name[:k] + "x" + name[k + 1 :]


def another_value(name: str) -> float:
    """An in-range value different from the default: halfway to the farther bound."""
    s = SPECS[name]
    far = s.hi if s.hi - s.default >= s.default - s.lo else s.lo
    value = s.default + 0.5 * (far - s.default)
    return int(round(value)) if s.integer else value


# ------------------------------------------------------------------ names
@pytest.mark.parametrize("name", NAMES)
def test_misspelt_name_is_rejected_naming_the_intended_parameter(name):
    with pytest.raises(ParameterError, match="unknown parameter") as info:
        make_params({typo(name): SPECS[name].default})
    assert name in str(info.value), "the hint should name the closest valid parameter"


def test_unknown_name_without_near_match_is_still_a_clear_error():
    with pytest.raises(ParameterError, match=r"unknown parameter 'zzzz'"):
        make_params({"zzzz": 1})


# ------------------------------------------------------------------ values
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("side", ["above", "below"])
def test_out_of_range_value_names_the_parameter_and_its_range(name, side):
    s = SPECS[name]
    value = s.hi + max(1.0, abs(s.hi)) if side == "above" else s.lo - 1.0
    if s.integer:
        value = int(value)
    with pytest.raises(ParameterError) as info:
        make_params({name: value})
    message = str(info.value)
    assert name in message
    assert f"{s.lo:g}" in message and f"{s.hi:g}" in message, message


@pytest.mark.parametrize("value", ["abc", "", None, [0.5], {"v": 1}, True, False])
def test_value_that_is_not_a_number_is_rejected(value):
    name = LEVERS[0]
    with pytest.raises(ParameterError, match=rf"'{name}' must be a number"):
        make_params({name: value})


@pytest.mark.parametrize("name", INTEGER_NAMES)
def test_integer_parameter_rejects_a_fraction(name):
    s = SPECS[name]
    fraction = math.floor(s.lo) + 2.5 if s.lo + 2.5 <= s.hi else s.lo + 0.5
    with pytest.raises(ParameterError, match=rf"'{name}' must be a whole number"):
        make_params({name: fraction})
    with pytest.raises(ParameterError, match=name):
        make_params({name: 2.5})  # a whole-number error, or out of range where 2.5 is below the bound


@pytest.mark.parametrize("name", INTEGER_NAMES)
def test_integer_parameter_accepts_whole_numbers_as_float_or_text_and_stores_int(name):
    whole = int(SPECS[name].default)
    for given in (float(whole), str(whole), f"{whole}.0"):
        value = getattr(make_params({name: given}), name)
        assert value == whole and type(value) is int


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400"])
@pytest.mark.parametrize("name", sorted({INTEGER_NAMES[0], LEVERS[0]}))
def test_non_finite_value_gives_parameter_error(name, text):
    """BUG (integer params): ``int(float('nan'))`` raises ValueError and
    ``int(float('inf'))`` OverflowError inside ``coerce``: not ParameterError,
    so ``run.py simulate --set n_employees=nan`` ends in a traceback."""
    with pytest.raises(ParameterError, match=name):
        make_params({name: text})


def test_numbers_given_as_text_are_converted():
    name = LEVERS[0]
    value = another_value(name)
    assert getattr(make_params({name: str(value)}), name) == pytest.approx(value)


def test_params_constructor_rejects_fraction_for_integer_parameter():
    """BUG: ``Params`` is public and documented as validated, but its
    ``__post_init__`` only checks ranges, so ``Params(n_employees=30.5)`` is
    accepted and fails later inside numpy."""
    name = INTEGER_NAMES[0]
    s = SPECS[name]
    fraction = float(int(s.default)) + 0.5 if s.default + 0.5 <= s.hi else s.default - 0.5
    with pytest.raises(ParameterError, match=name):
        Params(**{name: fraction})


# ------------------------------------------------------------- cross-rules
def test_more_initial_customers_than_market_is_rejected():
    market = int(SPECS["market_size"].lo) + 100
    with pytest.raises(ParameterError, match=r"initial_customers.*market_size"):
        make_params({"market_size": market, "initial_customers": market + 1})


def test_initial_customers_equal_to_market_is_allowed():
    market = int(SPECS["market_size"].lo) + 100
    assert make_params({"market_size": market, "initial_customers": market}).initial_customers == market


def test_all_department_shares_zero_is_rejected():
    zero = {n: 0 for n in NAMES if n.startswith("dept_share_")}
    with pytest.raises(ParameterError, match="dept_share"):
        make_params(zero)


def test_network_degree_not_below_market_size_is_rejected():
    degree = int(SPECS["network_degree"].lo) + 10
    with pytest.raises(ParameterError, match="network_degree"):
        make_params({"market_size": degree, "initial_customers": 0, "network_degree": degree})


# ---------------------------------------------------------- documentation
@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_documents_meaning_unit_and_source(name):
    s = SPECS[name]
    assert s.meaning.strip() and s.unit.strip() and s.source.strip() and s.group.strip()


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_cites_only_known_sources_and_at_least_one(name):
    keys = CITATION.findall(SPECS[name].source)
    assert keys, f"{name}: source cites no [key]"
    unknown = [k for k in keys if k not in BIBLIOGRAPHY]
    assert not unknown, f"{name}: {unknown} not in model.sources.BIBLIOGRAPHY"


@pytest.mark.parametrize("name", NAMES)
def test_default_lies_within_range(name):
    s = SPECS[name]
    assert s.lo < s.hi
    assert s.lo <= s.default <= s.hi
    if s.integer:
        assert s.default == int(s.default) and s.lo == int(s.lo)


def test_defaults_make_valid_params_with_the_right_types():
    p = make_params()
    for name, s in SPECS.items():
        value = getattr(p, name)
        assert value == s.default
        assert type(value) is (int if s.integer else float)
    assert set(p.as_dict()) == set(SPECS)


def test_params_are_immutable_and_replace_validates():
    p = make_params()
    name = LEVERS[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(p, name, 0.0)
    with pytest.raises(ParameterError, match=name):
        p.replace(**{name: SPECS[name].hi + 1})
    assert getattr(p.replace(**{name: another_value(name)}), name) == another_value(name)


def test_levers_are_never_structural():
    assert LEVERS, "some parameters must be policy levers"
    assert not set(LEVERS) & set(STRUCTURAL_NAMES)


def test_every_parameter_has_one_kind_and_the_levers_group_holds_exactly_the_levers():
    assert {s.kind for s in SPECS.values()} == set(Kind)
    assert [n for n, s in SPECS.items() if s.group == LEVERS_GROUP] == LEVERS
    assert sorted(names(LEVER) + names(STRUCTURAL) + names(CALIBRATION)) == sorted(SPECS)


def test_params_fields_are_written_out_in_the_class_for_editors_and_linters():
    """Every parameter is an annotated field in the source of ``Params`` (not made at
    run time), typed ``int`` exactly when its spec is integer."""
    tree = ast.parse(inspect.getsource(model.params))
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Params").body
    declared = {n.target.id: n.annotation.id for n in body if isinstance(n, ast.AnnAssign)}
    assert list(declared) == NAMES
    assert [n for n, t in declared.items() if t == "int"] == INTEGER_NAMES


def test_a_spec_must_say_its_group_unless_it_is_a_lever():
    common = {"default": 0.5, "lo": 0, "hi": 1, "unit": "u", "meaning": "m", "source": "s"}
    assert param(**common, kind=LEVER).metadata["spec"].group == LEVERS_GROUP
    for bad in (
        {"kind": LEVER, "group": "wom"},
        {"kind": CALIBRATION},
        {"kind": CALIBRATION, "group": LEVERS_GROUP},
    ):
        with pytest.raises(TypeError):
            param(**common, **bad)


def test_a_default_of_the_wrong_type_is_refused_when_params_are_defined():
    @dataclasses.dataclass(frozen=True)
    class Wrong:
        whole: int = param(
            default=0.5, lo=0, hi=1, unit="u", meaning="m", source="s", group="g", kind=CALIBRATION
        )

    with pytest.raises(TypeError, match="whole"):
        model.params._specs(Wrong)


# ------------------------------------------------------------ steering
@pytest.mark.parametrize("name", LEVERS)
def test_set_params_changes_a_lever_on_a_running_model(build_model, name):
    m = build_model()
    m.step()
    value = another_value(name)
    m.set_params(**{name: value})
    assert getattr(m.p, name) == pytest.approx(value)
    m.step()
    assert m.steps == 2


@pytest.mark.parametrize("name", names(CALIBRATION))
def test_set_params_accepts_a_calibration_constant_mid_run(build_model, name):
    m = build_model()
    m.set_params(**{name: another_value(name)})
    assert getattr(m.p, name) == another_value(name)


def test_set_params_takes_effect_from_the_next_step_only(build_model):
    name = "leadership_commitment"
    plain, steered = build_model(), build_model()
    for _ in range(3):
        plain.step()
        steered.step()
    steered.set_params(**{name: another_value(name)})
    for _ in range(5):
        plain.step()
        steered.step()
    a = plain.datacollector.get_model_vars_dataframe()
    b = steered.datacollector.get_model_vars_dataframe()
    unchanged_before = a.iloc[:4].equals(b.iloc[:4])
    changed_after = not a.iloc[4:].equals(b.iloc[4:])
    assert unchanged_before, "rows before the change must not move"
    assert changed_after, "the change must act on later weeks"


@pytest.mark.parametrize("name", STRUCTURAL_NAMES)
def test_set_params_refuses_structural_parameter(build_model, name):
    m = build_model()
    before = m.p
    s = SPECS[name]
    value = int(s.lo) if s.integer else s.lo
    with pytest.raises(ParameterError, match=name):
        m.set_params(**{name: value})
    assert m.p is before


def test_set_params_rejects_unknown_and_out_of_range_without_changing_anything(build_model):
    m = build_model()
    before = m.p
    name = LEVERS[0]
    with pytest.raises(ParameterError, match=name):
        m.set_params(**{typo(name): 0.5})
    with pytest.raises(ParameterError, match=name):
        m.set_params(**{name: SPECS[name].hi + 1})
    assert m.p is before


@pytest.mark.parametrize("name", [n for n in ("premium_share", "expectation_spread") if n in SPECS])
def test_set_params_does_not_silently_ignore_a_parameter_read_only_at_build(build_model, name):
    """BUG: these parameters are drawn into per-customer traits once, when the
    market is built; ``set_params`` accepts them mid-run but nothing changes.
    They should either be refused like structural parameters or take effect."""
    delight = {"expectation_base": SPECS["expectation_base"].lo}  # promoters exist, so premiums are paid
    value = another_value(name)

    def table(m):
        for _ in range(10):
            m.step()
        return m.datacollector.get_model_vars_dataframe()

    plain = table(build_model(**delight))
    matters_at_build = not table(build_model(**delight, **{name: value})).equals(plain)
    assert matters_at_build, "precondition: the parameter matters when the model is built"
    steered = build_model(**delight)
    try:
        steered.set_params(**{name: value})
    except ParameterError:
        return  # refused like a structural parameter: acceptable
    changed = not table(steered).equals(plain)
    assert changed, f"set_params({name}=...) was accepted but changed nothing"
