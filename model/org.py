"""The organisation: reporting hierarchy plus informal ties, generated or imported.

An ``Org`` keeps its structure as numpy arrays in breadth-first order, so that
the children of a manager are contiguous and a manager always comes before
their reports; the networkx graph is built from those arrays on demand.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from model.departments import DEPARTMENTS, DEPT_INDEX, LEVELS
from model.files import decode, read_bytes, shown
from model.limits import LIMITS, Limits, check

EXECUTIVE, MANAGER, STAFF = range(3)
BIG_TEAM = 64  # above this size, peer ties are drawn per person, not per pair


class OrgChartError(ValueError):
    """An org chart file that cannot describe an organisation."""


@dataclass(eq=False)
class Org:
    """Hierarchy and informal ties of an organisation, in breadth-first order.

    Attributes:
        ids: the employees' ids (from the chart, or 0..n-1 when generated).
        parent: index of each employee's manager; -1 for the root (CEO).
        dept: department index into ``DEPARTMENTS``.
        level: 0 executive, 1 manager, 2 staff.
        depth: distance from the CEO.
        ties: symmetric 0/1 sparse matrix of informal ties (peers, cross-department).
        chart: the imported org chart's provenance (``Chart.provenance``); None when generated.
    """

    ids: np.ndarray
    parent: np.ndarray
    dept: np.ndarray
    level: np.ndarray
    depth: np.ndarray
    ties: sp.csr_matrix
    chart: dict | None = None

    @property
    def size(self) -> int:
        return len(self.parent)

    @cached_property
    def levels(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(employees, their managers) for each depth below the CEO, top down."""
        out = []
        for d in range(1, int(self.depth.max()) + 1):
            nodes = np.flatnonzero(self.depth == d)
            out.append((nodes, self.parent[nodes]))
        return out

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The org graph: ``reports`` edges manager -> report, ``tie`` edges both ways."""
        g = nx.DiGraph()
        g.add_nodes_from(
            (i, {"id": str(self.ids[i]), "department": DEPARTMENTS[d], "level": LEVELS[lv]})
            for i, (d, lv) in enumerate(zip(self.dept.tolist(), self.level.tolist(), strict=True))
        )
        coo = self.ties.tocoo()
        g.add_edges_from(zip(coo.row.tolist(), coo.col.tolist(), strict=True), kind="tie")
        child = np.flatnonzero(self.parent >= 0)
        g.add_edges_from(zip(self.parent[child].tolist(), child.tolist(), strict=True), kind="reports")
        return g

    def layout(self) -> dict[int, tuple[float, float]]:
        """Hierarchical positions: leaves spread in depth-first order, managers
        centred over their reports, depth downward. Computed without any force
        layout, in O(n)."""
        n = self.size
        children = _children_lists(self.parent)
        order, stack = [], [0]
        while stack:  # iterative depth-first order
            v = stack.pop()
            order.append(v)
            stack.extend(reversed(children[v]))
        x = np.zeros(n)
        leaves = np.array([v for v in order if not children[v]], dtype=np.int64)
        x[leaves] = np.arange(len(leaves))
        for d in range(int(self.depth.max()), 0, -1):  # centre parents, bottom-up
            nodes = np.flatnonzero(self.depth == d)
            sums = np.bincount(self.parent[nodes], weights=x[nodes], minlength=n)
            counts = np.bincount(self.parent[nodes], minlength=n)
            has = counts > 0
            x[has] = sums[has] / counts[has]
        x = x / max(1.0, float(len(leaves) - 1))
        return {i: (float(x[i]), -float(self.depth[i])) for i in range(n)}


def _children_lists(parent: np.ndarray) -> list[list[int]]:
    children: list[list[int]] = [[] for _ in range(len(parent))]
    for child, p in enumerate(parent.tolist()):
        if p >= 0:
            children[p].append(child)
    return children


# ---------------------------------------------------------------- generation
def department_sizes(n: int, shares: dict[str, float]) -> np.ndarray:
    """Headcount per department (largest remainder), the CEO counted in executive."""
    w = np.array([shares.get(d, 0.0) for d in DEPARTMENTS], dtype=float)
    w = w / w.sum()
    raw = w * n
    sizes = np.floor(raw).astype(np.int64)
    remainder = n - sizes.sum()
    sizes[np.argsort(-(raw - sizes), kind="stable")[:remainder]] += 1
    ex = DEPT_INDEX["executive"]
    if sizes[ex] == 0:  # there is always a CEO: take the seat from the largest other department
        sizes[ex] = 1
        others = np.where(np.arange(len(sizes)) == ex, -1, sizes)
        sizes[np.argmax(others)] -= 1
    return sizes


def generate_org(
    n: int,
    shares: dict[str, float],
    span: int,
    peer_ties: float,
    cross_ties: float,
    rng: np.random.Generator,
) -> Org:
    """Generate an organisation of ``n`` employees.

    The CEO leads the executive department; every other department has a head
    reporting to the CEO, under whom the department is a complete tree with
    ``span`` reports per manager. Informal ties follow ``informal_ties``.
    """
    sizes = department_sizes(n, shares)
    parent = np.full(n, -1, dtype=np.int64)
    dept = np.zeros(n, dtype=np.int64)
    start = 1  # node 0 is the CEO
    ex = DEPT_INDEX["executive"]
    dept[0] = ex
    for d, size in enumerate(sizes.tolist()):
        members = size - 1 if d == ex else size
        if members <= 0:
            continue
        idx = np.arange(start, start + members)
        dept[idx] = d
        if d == ex:
            parent[idx] = 0
        else:
            local = np.arange(members)
            parent[idx] = np.where(local == 0, 0, start + (local - 1) // span)
        start += members
    return from_parents(np.arange(n), parent, dept, None, peer_ties, cross_ties, rng)


def from_parents(
    ids: np.ndarray,
    parent: np.ndarray,
    dept: np.ndarray,
    level: np.ndarray | None,
    peer_ties: float,
    cross_ties: float,
    rng: np.random.Generator,
) -> Org:
    """Build an ``Org`` from a valid parent array: reorder breadth-first, infer
    levels where not given (CEO and direct reports executive, anyone with
    reports a manager, the rest staff), and draw informal ties."""
    n = len(parent)
    order = _bfs_order(parent)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    parent = np.where(parent[order] >= 0, rank[np.maximum(parent[order], 0)], -1)
    dept = dept[order]
    ids = ids[order]
    depth = _depths(parent, np.arange(n))  # now in breadth-first order
    if level is None:
        has_reports = np.bincount(parent[parent >= 0], minlength=n) > 0
        level = np.where(depth <= 1, EXECUTIVE, np.where(has_reports, MANAGER, STAFF))
    else:
        level = level[order]
    ties = informal_ties(parent, dept, peer_ties, cross_ties, rng)
    return Org(ids, parent, dept.astype(np.int64), level.astype(np.int64), depth, ties)


def _bfs_order(parent: np.ndarray) -> np.ndarray:
    """Breadth-first order from the single root, siblings in their given order.

    Returns only the employees reachable from the root: fewer than all of them
    means the reporting lines contain a cycle. O(n) however deep the chart.
    """
    n = len(parent)
    child = np.flatnonzero(parent >= 0)
    reports = sp.csr_matrix((np.ones(len(child)), (parent[child], child)), shape=(n, n))
    return breadth_first_order(reports, int(np.flatnonzero(parent < 0)[0]), return_predecessors=False)


def informal_ties(
    parent: np.ndarray,
    dept: np.ndarray,
    peer_ties: float,
    cross_ties: float,
    rng: np.random.Generator,
) -> sp.csr_matrix:
    """Random informal ties: about ``peer_ties`` per person among teammates
    (same manager) and ``cross_ties`` per person to other departments.

    In a team of ``s`` each pair is tied with probability
    ``min(1, peer_ties / (s - 1))``; in very large teams (over ``BIG_TEAM``)
    each member instead starts Poisson(peer_ties / 2) ties to random teammates.
    Cross-department partners are drawn uniformly from outside one's department.
    """
    n = len(parent)
    has_parent = parent >= 0
    team_size = np.bincount(parent[has_parent], minlength=n)
    first_child = np.full(n, n, dtype=np.int64)  # children are contiguous in BFS order
    np.minimum.at(first_child, parent[has_parent], np.flatnonzero(has_parent))
    rows, cols = [], []
    managers = np.flatnonzero(team_size >= 2)
    for s in np.unique(team_size[managers]).tolist():
        teams = managers[team_size[managers] == s]
        starts = first_child[teams][:, None]
        if s <= BIG_TEAM:
            i, j = np.triu_indices(s, 1)
            tied = rng.random((len(teams), len(i))) < min(1.0, peer_ties / (s - 1))
            rows.append((starts + i)[tied])
            cols.append((starts + j)[tied])
        else:
            members = (starts + np.arange(s)).ravel()
            src = np.repeat(members, rng.poisson(peer_ties / 2, len(members)))
            local = src - first_child[parent[src]]
            other = (local + 1 + (rng.random(len(src)) * (s - 1)).astype(np.int64)) % s
            rows.append(src)
            cols.append(first_child[parent[src]] + other)
    order = np.argsort(dept, kind="stable")
    size = np.bincount(dept, minlength=int(dept.max()) + 1)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    src = np.repeat(np.arange(n), rng.poisson(cross_ties / 2, n))
    src = src[size[dept[src]] < n]  # someone outside the department exists
    d = dept[src]
    u = (rng.random(len(src)) * (n - size[d])).astype(np.int64)
    rows.append(src)
    cols.append(order[u + (u >= start[d]) * size[d]])
    r, c = np.concatenate(rows), np.concatenate(cols)
    m = sp.coo_matrix((np.ones(2 * len(r)), (np.r_[r, c], np.r_[c, r])), shape=(n, n)).tocsr()
    m.data[:] = 1.0  # duplicates collapse to one tie
    return m


# ----------------------------------------------------------------- import
_ALIASES = {
    "ceo": "executive",
    "exec": "executive",
    "executives": "executive",
    "product/r&d": "product",
    "r&d": "product",
    "research and development": "product",
    "ops": "operations",
    "customer service": "service",
    "customer_service": "service",
    "support": "service",
    "human resources": "hr",
}
_ROLE_ALIASES = {"exec": "executive", "executive": "executive", "manager": "manager", "staff": "staff"}


def _q(text: str) -> str:
    """``text`` quoted for a message, cut to one short line."""
    text = " ".join(str(text).split())
    return f"'{text}'" if len(text) <= 40 else f"'{text[:37]}...'"


def _department(name: str, where: str) -> int:
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in DEPT_INDEX:
        raise OrgChartError(f"{where}: unknown department {_q(name)} (known: {', '.join(DEPARTMENTS)})")
    return DEPT_INDEX[key]


@dataclass(eq=False, frozen=True)
class Chart:
    """An org chart read from a file and checked, before informal ties are drawn.

    Attributes:
        ids, parent, dept: each employee's id, manager's index (-1 for the root) and
            department index, in the file's order.
        level: each employee's level from the chart's roles; None when it gives none.
        provenance: the file's name, path, size in bytes and SHA-256, and the
            chart's employees and levels of management.
    """

    ids: np.ndarray
    parent: np.ndarray
    dept: np.ndarray
    level: np.ndarray | None
    provenance: dict


def read_org_chart(path: str | Path, limits: Limits | None = LIMITS) -> Chart:
    """Read and check an org chart: CSV (``id,manager_id,department[,role]``) or GraphML.

    A chart larger or deeper than ``limits`` allows is refused (``None``: no limits).

    Raises:
        OrgChartError: with a one-line reason for any malformed chart.
        LimitError: a chart beyond ``limits``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".graphml"):
        raise OrgChartError(f"org chart '{shown(path)}': use a .csv or .graphml file")
    if limits is not None and path.is_file():
        check(f"org chart '{path.name}': its size", path.stat().st_size, limits.org_chart_bytes, "bytes")
    data = read_bytes(path, "org chart", OrgChartError)
    rows = _read_csv(data, path.name) if suffix == ".csv" else _read_graphml(data, path.name)
    if limits is not None:
        check(f"org chart '{path.name}': its employees", len(rows), limits.employees, "employees")
    ids, parent, dept, level, order = _validate_rows(rows, path.name)
    levels = int(_depths(parent, order).max()) + 1
    if limits is not None:
        check(f"org chart '{path.name}': its levels of management", levels, limits.org_levels, "levels")
    provenance = {
        "file": path.name,
        "path": str(path),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "employees": len(rows),
        "levels": levels,
    }
    return Chart(ids, parent, dept, level, provenance)


def load_org_chart(
    chart: str | Path | Chart, peer_ties: float, cross_ties: float, rng: np.random.Generator
) -> Org:
    """The organisation of an org chart (a file, read with the default limits, or a
    ``Chart`` already read), with informal ties drawn from ``rng``.

    Raises:
        OrgChartError: with a one-line reason for any malformed chart.
        LimitError: a file beyond the default limits (see ``read_org_chart``).
    """
    if not isinstance(chart, Chart):
        chart = read_org_chart(chart)
    org = from_parents(chart.ids, chart.parent, chart.dept, chart.level, peer_ties, cross_ties, rng)
    org.chart = dict(chart.provenance)
    return org


def _read_csv(data: bytes, name: str) -> list[tuple[str, str, str, str, str]]:
    text = decode(data, name, OrgChartError, encoding="utf-8-sig")
    if not text.strip():
        raise OrgChartError(f"{name}: the file is empty")
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise OrgChartError(f"{name} line 1: not readable as CSV ({exc})") from None
    cols = [c.strip().lower() for c in header]
    need = ["id", "manager_id", "department"]
    if any(c not in cols for c in need) or any(c not in need + ["role"] for c in cols):
        raise OrgChartError(
            f"{name}: columns must be id,manager_id,department[,role], got {_q(','.join(cols))}"
        )
    reader.fieldnames = cols
    rows, line = [], 1
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise OrgChartError(f"{name} line {line}: more fields than the header's columns")
            rows.append(
                (
                    (row["id"] or "").strip(),
                    (row["manager_id"] or "").strip(),
                    (row["department"] or "").strip(),
                    (row.get("role") or "").strip(),
                    f"{name} line {line}",
                )
            )
    except csv.Error as exc:  # in the row after the last one read
        if "field larger than field limit" in str(exc):
            raise OrgChartError(
                f"{name} line {line + 1}: a field longer than {csv.field_size_limit():,} characters; "
                "a chart's fields are ids, managers' ids, departments and roles"
            ) from None
        raise OrgChartError(f"{name} line {line + 1}: not readable as CSV ({exc})") from None
    if not rows:
        raise OrgChartError(f"{name}: the chart has a header but no employees")
    return rows


def _read_graphml(data: bytes, name: str) -> list[tuple[str, str, str, str, str]]:
    try:
        g = nx.read_graphml(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise OrgChartError(f"{name}: not a readable GraphML file ({reason})") from None
    if g.number_of_nodes() == 0:
        raise OrgChartError(f"{name}: the chart has no employees")
    g = nx.DiGraph(g) if g.is_directed() else None
    if g is None:
        raise OrgChartError(f"{name}: edges must be directed manager -> report")
    rows = []
    for v in g.nodes:
        managers = list(g.predecessors(v))
        if len(managers) > 1:
            raise OrgChartError(f"{name}: employee {_q(v)} has several managers")
        data = g.nodes[v]
        if "department" not in data:
            raise OrgChartError(f"{name}: employee {_q(v)} has no 'department' attribute")
        rows.append(
            (
                str(v),
                str(managers[0]) if managers else "",
                str(data["department"]),
                str(data.get("role", "")),
                f"{name} node {_q(v)}",
            )
        )
    return rows


def _validate_rows(rows, name: str):
    """Arrays of a chart's rows, and its breadth-first order, once every row is checked."""
    ids = [r[0] for r in rows]
    index: dict[str, int] = {}
    for i, (eid, _, _, _, where) in enumerate(rows):
        if not eid:
            raise OrgChartError(f"{where}: empty id")
        if eid in index:
            raise OrgChartError(f"{where}: duplicate id {_q(eid)}")
        index[eid] = i
    n = len(rows)
    parent = np.full(n, -1, dtype=np.int64)
    dept = np.zeros(n, dtype=np.int64)
    roles = []
    for i, (eid, mid, dname, role, where) in enumerate(rows):
        if mid:
            if mid not in index:
                raise OrgChartError(f"{where}: manager {_q(mid)} of {_q(eid)} is not in the chart")
            if mid == eid:
                raise OrgChartError(f"{where}: {_q(eid)} is their own manager")
            parent[i] = index[mid]
        dept[i] = _department(dname, where)
        if role and role.lower() not in _ROLE_ALIASES:
            raise OrgChartError(f"{where}: unknown role {_q(role)} (use executive, manager or staff)")
        roles.append(role.lower())
    roots = np.flatnonzero(parent < 0)
    if len(roots) == 0:
        raise OrgChartError(f"{name}: no root (everyone has a manager, so the chart has a cycle)")
    if len(roots) > 1:
        shown = ", ".join(_q(ids[r]) for r in roots[:5])
        raise OrgChartError(f"{name}: several roots ({shown}); exactly one person may have no manager")
    order = _bfs_order(parent)
    if len(order) < n:
        raise OrgChartError(f"{name}: the reporting lines contain a cycle")
    level = None
    if any(roles):
        if not all(roles):
            raise OrgChartError(f"{name}: give a role for everyone or for no one")
        level = np.array([LEVELS.index(_ROLE_ALIASES[r]) for r in roles], dtype=np.int64)
    return np.array(ids, dtype=object), parent, dept, level, order


def _depths(parent: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each employee's distance from the root, given a breadth-first ``order``."""
    up, depth = parent.tolist(), [0] * len(parent)
    for v in order[1:].tolist():
        depth[v] = depth[up[v]] + 1
    return np.array(depth, dtype=np.int64)
