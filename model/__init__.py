"""CX Culture Lab: how a customer-centric culture spreads and what customers do about it."""

from model.model import CultureModel
from model.params import SPECS, ParameterError, Params, make_params
from model.scenario import Scenario, ScenarioError, available, load_scenario

__all__ = [
    "SPECS",
    "CultureModel",
    "ParameterError",
    "Params",
    "Scenario",
    "ScenarioError",
    "available",
    "load_scenario",
    "make_params",
]
