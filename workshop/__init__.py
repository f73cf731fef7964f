"""Workshop rooms: teams play the same starting firm in rounds, a facilitator runs them.

The domain knows nothing of Solara: ``Hub`` opens a data directory (one SQLite
file) and hands out capabilities, a ``Console`` for the facilitator's key, a
``Seat`` for a team, an ``Observer`` for anyone with the join code; every rule
(who may do what, when, how often) is enforced there, so a view cannot bypass it.
"""

from workshop.errors import (
    AccessDenied,
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    RateLimited,
    WorkshopError,
)
from workshop.rooms import Console, Created, Hub, Observer, Seat, WorkshopConfig

__all__ = [
    "AccessDenied",
    "Conflict",
    "Console",
    "Created",
    "Hub",
    "IntegrityError",
    "InvalidInput",
    "NotFound",
    "Observer",
    "RateLimited",
    "Seat",
    "WorkshopConfig",
    "WorkshopError",
]
