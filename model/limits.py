"""Sizes past which a run is refused unless the researcher means it.

The parameters' own ranges (``model.params``) say what the model can represent;
these limits say what one run may cost on an ordinary machine without anyone
having asked for more: a laptop builds a market of a million people in about
ten seconds and 600 MB, ten million in minutes and gigabytes. Past a limit the
command line answers with one line naming the value and the limit;
``--allow-large`` (``limits=None`` from Python) lifts them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from model.params import ParameterError


class LimitError(ParameterError):
    """A size beyond the limits, asked for without lifting them (a ``ParameterError``,
    so that whoever reports bad values reports it too). ``refusal`` is the sentence
    without the hint on how to lift the limit, for callers that offer no way to."""

    def __init__(self, refusal: str) -> None:
        super().__init__(f"{refusal}; {LIFT}")
        self.refusal = refusal


@dataclass(frozen=True)
class Limits:
    """The limits; ``LIMITS`` holds the defaults.

    Attributes:
        steps: weeks in one run (a hundred years).
        employees: employees in a generated organisation or an imported org chart.
        market: people in the market (``market_size``).
        org_levels: levels of management in an imported org chart (real firms have
            well under twenty; a chart of thousands of levels is usually a mistake,
            such as every row reporting to the row above).
        org_chart_bytes: size of an org chart file.
    """

    steps: int = 5_200
    employees: int = 100_000
    market: int = 1_000_000
    org_levels: int = 100
    org_chart_bytes: int = 64 * 2**20


LIMITS = Limits()
LIFT = "--allow-large lifts the limit if you mean it"


def check(what: str, value: float, limit: int | None, unit: str) -> None:
    """Refuse ``value`` above ``limit`` (``None``: no limit) with one line naming ``what``.

    Raises:
        LimitError: ``value`` is more than ``limit``.
    """
    if limit is not None and value > limit:
        raise LimitError(f"{what} = {value:,} is more than the limit of {limit:,} {unit}")


def check_world(
    params, limits: Limits | None, *, chart: bool = False, where: Callable[[str], str] = str
) -> None:
    """Refuse a world larger than ``limits``: ``market_size``, and ``n_employees``
    unless an org chart (``chart``; its size is checked as it is read) sets the size.
    ``where(name)`` says where a value was set, for the message.

    Raises:
        LimitError: a size beyond ``limits`` (nothing is checked when it is None).
    """
    if limits is None:
        return
    check(where("market_size"), params.market_size, limits.market, "people")
    if not chart:
        check(where("n_employees"), params.n_employees, limits.employees, "employees")
