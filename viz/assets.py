"""Fill Solara's CDN cache from the npm registry, so the dashboard works offline.

Solara serves its JavaScript and CSS under ``/_solara/cdn/<pkg>@<ver>/...`` and
fetches each file from a public CDN on first use, caching it under
``<venv>/share/solara/cdn/``. Workshop laptops (and these machines) cannot
reach that CDN, so the page stays blank. This module fetches the same packages
with ``npm pack`` (the npm registry is reachable) and unpacks them into that
cache. Run it once after installing::

    python -m viz.assets            # fill the cache (quick when already filled)
    python -m viz.assets --check    # exit 1 if something is missing

The package list is what solara 1.64.1 requests for this dashboard (checked by
recording the page's requests in headless Chromium; the browser tests fail if
the page reaches for anything off this machine).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# Packages requested through /_solara/cdn/ (recorded from the dashboard page:
# the vuetify app's JS, CSS and fonts, font-awesome, requirejs). vue-grid-layout
# is not requested by this page but by Mesa's SolaraViz grid (GridDraggable),
# so a SolaraViz page works offline too; altair/vega are not used here.
PACKAGES: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "font-awesome@4.5.0",
    "requirejs@2.3.6",
)

# A file inside each package whose presence shows the package is unpacked.
_MARKER = "package.json"


class AssetError(RuntimeError):
    """The cache could not be filled."""


def cache_dir() -> Path:
    """Solara's CDN cache directory for the running interpreter's environment."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing(packages: tuple[str, ...] = PACKAGES, root: Path | None = None) -> list[str]:
    """Packages not yet unpacked in the cache."""
    root = cache_dir() if root is None else root
    return [pkg for pkg in packages if not (root / pkg / _MARKER).is_file()]


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "npm is not installed: install Node.js/npm (e.g. apt-get install -y npm) and run "
            "'python -m viz.assets' again"
        )
    return npm


def fetch(pkg: str, root: Path, npm: str) -> None:
    """``npm pack`` one package and unpack it into ``root/<pkg>/`` atomically."""
    with tempfile.TemporaryDirectory(prefix="solara-assets-") as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", pkg, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                timeout=300,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            raise AssetError(f"npm pack {pkg} timed out (is the npm registry reachable?)") from None
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise AssetError(f"npm pack {pkg} failed: {reason[-1] if reason else 'no tarball'}")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(staging, filter="data")
        # npm tarballs hold one top folder, usually "package/"
        tops = [p for p in staging.iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise AssetError(f"npm pack {pkg}: unexpected tarball layout")
        target = root / pkg
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(tops[0], partial)
        shutil.rmtree(target, ignore_errors=True)  # a half-filled cache entry from the CDN
        os.replace(partial, target)


def ensure(
    packages: tuple[str, ...] = PACKAGES, root: Path | None = None, out: io.TextIOBase | None = None
) -> int:
    """Fetch every missing package; returns how many were fetched."""
    out = sys.stdout if out is None else out
    root = cache_dir() if root is None else root
    todo = missing(packages, root)
    if not todo:
        return 0
    npm = _npm()
    for pkg in todo:
        print(f"fetching {pkg} into {root}", file=out)
        fetch(pkg, root, npm)
    return len(todo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m viz.assets", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing packages (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        gone = missing()
        for pkg in gone:
            print(f"missing: {pkg}")
        return 1 if gone else 0
    try:
        n = ensure()
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dashboard assets ready in {cache_dir()} ({n} fetched, {len(PACKAGES) - n} already cached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
