"""Reading the files a user names and writing the files the product makes, with
one-line reasons for every way that can fail.

Readers take the exception class the caller reports its file's problems with
(``ScenarioError``, ``OrgChartError``, ...), so a caller's error handling sees
one kind of error for one kind of file. Writers go through ``atomic_write``: the
data goes to a temporary file beside the target and is renamed onto it, so a
process killed at any moment leaves the old file or the new one, never part of one.
"""

from __future__ import annotations

import errno
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

TMP_SUFFIX = ".tmp"


def why(exc: OSError) -> str:
    """An OSError's reason in words (pyarrow's carry the errno only in their message)."""
    code = exc.errno
    if code is None:
        found = re.search(r"\[errno (\d+)\]", str(exc), re.I)
        code = int(found.group(1)) if found else None
    return os.strerror(code).lower() if code else str(exc).splitlines()[0]


def shown(path: str | Path, width: int = 100) -> str:
    """``path`` for a message: whole if short, else its start and end around "..."."""
    text = str(path)
    return text if len(text) <= width else f"{text[: width // 3]}...{text[-(width - width // 3 - 3) :]}"


def read_bytes(path: str | Path, what: str, error: type[Exception], max_bytes: int | None = None) -> bytes:
    """The bytes of the file a user named as ``what`` (e.g. "scenario file").

    Raises:
        error: the file is missing, a directory or not a regular file, unreadable,
            or larger than ``max_bytes``.
    """
    path = Path(path)
    try:
        if not path.exists():
            raise error(f"{what} '{shown(path)}' does not exist")
        if path.is_dir():
            raise error(f"{what} '{shown(path)}' is a directory; name a file")
        if not path.is_file():
            raise error(f"{what} '{shown(path)}' is not a regular file")
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise error(
                f"{what} '{shown(path)}' is {size:,} bytes, more than a {what} may be ({max_bytes:,})"
            )
        return path.read_bytes()
    except OSError as exc:
        raise error(f"{what} '{shown(path)}' cannot be read: {why(exc)}") from None


def decode(data: bytes, name: str, error: type[Exception], encoding: str = "utf-8") -> str:
    """``data`` as text, refusing bytes that are not UTF-8 with where the first one is.

    Raises:
        error: not UTF-8 text, or it holds a NUL byte (a binary file).
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"{name} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise error(f"{name} line {line}: a NUL byte; this is not a text file")
    return text


def read_toml(path: str | Path, what: str, error: type[Exception], max_bytes: int = 2**20) -> dict[str, Any]:
    """The parsed TOML of the file a user named as ``what``.

    Raises:
        error: the file cannot be read (see ``read_bytes``), is not UTF-8, or is not
            valid TOML (including arrays or tables nested too deeply to parse).
    """
    path = Path(path)
    text = decode(read_bytes(path, what, error, max_bytes), path.name, error, encoding="utf-8-sig")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name}: malformed TOML: {exc}") from None
    except RecursionError:
        raise error(f"{path.name}: malformed TOML: arrays or tables nested too deeply") from None


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)``, then rename the temp file onto ``path`` (atomic on POSIX).

    The temp file ``.<name>.<pid>.tmp`` sits beside ``path`` and is removed if
    ``write`` fails; one left by a killed process is removed by ``clean_temps``.
    No fsync: a killed process loses nothing the kernel has.
    """
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def temp_path(path: Path) -> Path:
    """The temp file ``atomic_write`` writes ``path`` through."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


def clean_temps(path: Path) -> None:
    """Remove temp files of ``path`` left by processes that no longer run."""
    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*{TMP_SUFFIX}"):
        pid = tmp.name[len(path.name) + 2 : -len(TMP_SUFFIX)]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters matched literally."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def check_writable(path: Path, what: str, error: type[Exception]) -> None:
    """Fail now, not after the work, if ``path`` cannot be written: create its folder
    and a temp file in it (then remove it).

    Raises:
        error: ``path`` is a directory, a parent is a file, or the folder is not writable.
    """
    try:
        folder = path.is_dir()
    except OSError as exc:  # a name too long, say
        raise error(f"{what} '{shown(path)}' cannot be written: {why(exc)}") from None
    if folder:
        raise error(f"{what} '{shown(path)}' is a directory; name a file in it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise error(
            f"{what} '{shown(path)}': '{shown(_file_parent(path))}' is a file, not a folder"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise error(
                f"{what} '{shown(path)}': '{shown(_file_parent(path))}' is a file, not a folder"
            ) from None
        raise error(f"{what} '{shown(path)}': cannot create its folder: {why(exc)}") from None
    tmp = temp_path(path)
    try:
        tmp.touch()
    except OSError as exc:
        raise error(f"{what} '{shown(path)}' cannot be written: {why(exc)}") from None
    tmp.unlink(missing_ok=True)


def _file_parent(path: Path) -> Path:
    """The first ancestor of ``path`` that exists as something other than a folder."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return path.parent
