"""Sizes past which a run is refused unless the researcher means it.

The parameters' own ranges (``model.params``) say what the model can represent;
these limits say what one run may cost on an ordinary machine without anyone
having asked for more: a laptop builds a market of a million people in about
ten seconds and 600 MB, ten million in minutes and gigabytes. Past a limit the
command line answers with one line naming the value and the limit;
``--allow-large`` (``limits=None`` from Python) lifts them all.
"""

from __future__ import annotations

from dataclasses import dataclass


class LimitError(ValueError):
    """A size beyond the limits, asked for without lifting them."""


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
        raise LimitError(f"{what} = {value:,} is more than the limit of {limit:,} {unit}; {LIFT}")


def check_run(
    limits: Limits | None,
    *,
    steps: tuple[int, str],
    n_employees: tuple[int, str] | None = None,
    market_size: tuple[int, str] | None = None,
) -> None:
    """Check one run's horizon and world size; each value comes with where it was set
    (e.g. ``(10**6, "--steps")``), which the message names.

    Raises:
        LimitError: a value beyond ``limits`` (nothing is checked when ``limits`` is None).
    """
    if limits is None:
        return
    check(steps[1], steps[0], limits.steps, "weeks")
    if n_employees is not None:
        check(n_employees[1], n_employees[0], limits.employees, "employees")
    if market_size is not None:
        check(market_size[1], market_size[0], limits.market, "people")
