"""Fingerprint the model's behaviour: one hash per bundled scenario.

    python tools/trajectory_hash.py [--steps 60] [--seed 1] [--digits 9]

Runs every bundled scenario at its default size for ``--steps`` weeks at
``--seed`` and prints the md5 of its metrics table (every value rounded to
``--digits`` significant digits, written as CSV). A refactoring that must not
change behaviour leaves every line unchanged: run it before and after.
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

from model.scenario import available
from model.simulate import model_table, run_model


def trajectory_hash(scenario: str, steps: int = 60, seed: int = 1, digits: int = 9) -> str:
    """md5 of ``scenario``'s metrics table after ``steps`` weeks at ``seed``, rounded to ``digits``."""
    table = model_table(run_model(scenario, steps=steps, seed=seed))
    rounded = table.apply(
        lambda col: [
            np.format_float_positional(x, precision=digits, unique=False, fractional=False, trim="-")
            if np.isfinite(x)
            else str(x)
            for x in col.astype(float)
        ]
    )
    return hashlib.md5(rounded.to_csv(index=False).encode()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--digits", type=int, default=9)
    args = parser.parse_args(argv)
    for name in available():
        print(f"{name:22s} {trajectory_hash(name, args.steps, args.seed, args.digits)}")


if __name__ == "__main__":
    main()
