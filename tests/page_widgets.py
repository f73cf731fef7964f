"""Finding widgets in a rendered Solara page, for the page-level tests."""

from __future__ import annotations

import ipywidgets


def walk(widget) -> list:
    """``widget`` and every widget below it."""
    out = [widget]
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, ipywidgets.Widget):
            out.extend(walk(child))
    return out


def by_class(box, name: str) -> list:
    """The widgets below ``box`` that carry the CSS class ``name``."""
    return [w for w in walk(box) if name in (getattr(w, "class_", "") or "").split()]
