"""Join codes, secrets and the limit on guessing them.

A join code is six characters from an alphabet without look-alikes (no 0/O,
1/I/L): 31**6, about 887 million codes, read aloud or typed from a projector
without mistakes. The facilitator key and team tokens are 144-bit random
secrets (``secrets.token_urlsafe``); only their SHA-256 digests are stored.
A slow password hash (scrypt, PBKDF2) protects guessable passwords; these
secrets are random, so a plain digest is as safe and keeps every check fast.

Guessing is limited per client (an address) and over all clients together,
so changing addresses does not help: see ``Limits``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
from dataclasses import dataclass

from workshop.errors import RateLimited

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
SEPARATORS = " -_."


def new_code() -> str:
    """A fresh join code (uniqueness is the store's business)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The canonical form of a typed join code (case, spaces and dashes ignored),
    or None if it cannot be one."""
    if not isinstance(text, str):
        return None
    code = "".join(ch for ch in text.strip().upper() if ch not in SEPARATORS)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def show_code(code: str) -> str:
    """A code as people read it: ``K7P-M2Q``."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def new_secret() -> str:
    """A facilitator key or team token: 144 random bits, URL-safe."""
    return secrets.token_urlsafe(18)


def digest(secret: str) -> str:
    """What is stored of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(secret: object, stored: str) -> bool:
    """Whether ``secret`` is the one whose digest is ``stored`` (constant-time)."""
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return False
    return hmac.compare_digest(digest(secret), stored)


@dataclass(frozen=True)
class Limits:
    """How many wrong codes, keys or tokens are tolerated in ``window`` seconds:
    ``per_client`` from one client, ``overall`` from all clients together. The
    overall limit stops a guesser who changes address; its price is that such a
    guesser can hold up honest newcomers for a minute, which a facilitator can
    live with (the codes in a room are read off the projector)."""

    per_client: int = 10
    overall: int = 200
    window: float = 60.0


def check_rate(db: sqlite3.Connection, scope: str, client: str, now: float, limits: Limits) -> None:
    """Raise ``RateLimited`` if ``client`` (or everyone) failed ``scope`` too often lately."""
    since = now - limits.window
    db.execute("DELETE FROM failures WHERE at < ?", (since,))
    mine = db.execute(
        "SELECT COUNT(*), MIN(at) FROM failures WHERE scope = ? AND client = ? AND at >= ?",
        (scope, client, since),
    ).fetchone()
    total = db.execute(
        "SELECT COUNT(*), MIN(at) FROM failures WHERE scope = ? AND at >= ?", (scope, since)
    ).fetchone()
    for (count, oldest), limit in ((mine, limits.per_client), (total, limits.overall)):
        if count >= limit:
            wait = max(1, math.ceil(oldest + limits.window - now))
            raise RateLimited(f"too many wrong {_WHAT[scope]} lately; try again in {wait} s", wait)


def record_failure(db: sqlite3.Connection, scope: str, client: str, now: float) -> None:
    """Count one wrong guess (the caller commits it even though the request fails)."""
    db.execute("INSERT INTO failures (scope, client, at) VALUES (?, ?, ?)", (scope, client, now))


_WHAT = {"code": "join codes", "key": "facilitator keys", "token": "team links"}
SCOPES = tuple(_WHAT)
