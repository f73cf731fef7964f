"""Checking what people type and send: whole numbers, names and titles, clients, files."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from workshop.errors import InvalidInput

MAX_CLIENT = 200


def whole(value: object, what: str, lo: int, hi: int) -> int:
    """``value`` as a whole number in ``[lo, hi]``, or ``InvalidInput`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    return int(value)


def text(value: object, what: str, longest: int) -> str:
    """``value`` as one line of text (spaces collapsed), not empty, not too long, no control characters."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    text = " ".join(value.split())
    if not text:
        raise InvalidInput(f"{what} cannot be empty")
    if len(text) > longest:
        raise InvalidInput(f"{what} must be at most {longest} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidInput(f"{what} cannot contain control characters")
    return text


def name_key(name: str) -> str:
    """What makes two team names the same name (case, spaces and Unicode forms ignored)."""
    return unicodedata.normalize("NFKC", " ".join(name.split())).casefold()


def client(client: object) -> str:
    """A client's identity for rate limits (its address), bounded in length."""
    return str(client)[:MAX_CLIENT] if client else "unknown"


def scenario_data(scenario) -> dict:
    """A scenario in the shape of its TOML file, to store and parse back."""
    return {
        "name": scenario.name,
        "toml": {
            "scenario": {
                "title": scenario.title,
                "description": scenario.description,
                "steps": scenario.steps,
            },
            "parameters": dict(scenario.parameters),
            "events": [{"step": e.step, "type": e.type, **e.options} for e in scenario.events],
        },
    }


def read_chart(path: str | Path | None) -> tuple[bytes | None, dict | None]:
    """An org chart's bytes and what identifies it (name, SHA-256, suffix), to store in a workshop."""
    if path is None:
        return None, None
    from model.limits import LimitError
    from model.org import OrgChartError, read_org_chart

    try:
        read_org_chart(path)  # checked, within the limits, under the name the user gave it
    except LimitError as exc:
        raise InvalidInput(f"{exc.refusal}; a workshop keeps within it") from None
    except OrgChartError as exc:
        raise InvalidInput(str(exc)) from None
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read org chart '{path}': {exc.strerror}") from None
    return data, {"name": path.name, "sha256": hashlib.sha256(data).hexdigest(), "suffix": suffix}


def package_version() -> str:
    """This package's installed version, for provenance."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cx-culture-lab")
    except PackageNotFoundError:
        return "unknown"
