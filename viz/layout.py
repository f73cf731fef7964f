"""Positions for the structural views, computed once per model and cached.

The org chart uses the model's own hierarchical layout (no force layout);
the customer network view draws a small sample of ego networks, small enough
that a force layout on it takes milliseconds. Nothing here draws random numbers
from the model: the sample uses its own fixed-seed generator, so looking at a
run never changes it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

# Above this many positions the org chart is drawn aggregated by department and level.
ORG_DETAIL_LIMIT = 2000
# Customers drawn in the network view: a few ego networks up to this many people.
NETWORK_SAMPLE = 160
NETWORK_EGOS = 4


@dataclass(frozen=True)
class Structure:
    """Cached geometry of one model's organisation and customer network."""

    org_size: int
    org_x: np.ndarray | None  # None when the org is drawn aggregated
    org_y: np.ndarray | None
    parent: np.ndarray
    dept: np.ndarray
    level: np.ndarray
    net_nodes: np.ndarray  # sampled customers (market indices)
    net_xy: np.ndarray  # their positions, shape (k, 2)
    net_edges: np.ndarray  # ties among them, local indices, shape (m, 2)


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def structure(model) -> Structure:
    """The model's ``Structure``, computed on first use and cached while the model lives."""
    cached = _CACHE.get(model)
    if cached is None:
        cached = _compute(model)
        _CACHE[model] = cached
    return cached


def _compute(model) -> Structure:
    org = model.org
    if org.size <= ORG_DETAIL_LIMIT:
        pos = org.layout()
        xy = np.array([pos[i] for i in range(org.size)], dtype=float)
        x, y = xy[:, 0], xy[:, 1]
    else:
        x = y = None
    nodes, edges = ego_sample(model.network, NETWORK_SAMPLE, NETWORK_EGOS, seed=20261)
    return Structure(
        org_size=org.size,
        org_x=x,
        org_y=y,
        parent=org.parent.copy(),
        dept=org.dept.copy(),
        level=org.level.copy(),
        net_nodes=nodes,
        net_xy=network_positions(len(nodes), edges),
        net_edges=edges,
    )


def ego_sample(graph: sp.csr_matrix, limit: int, egos: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A few ego networks (each person, their contacts, then contacts' contacts)
    grown breadth-first until ``limit`` people, and the ties among them."""
    n = graph.shape[0]
    rng = np.random.default_rng(seed)
    per_ego = max(1, limit // max(1, egos))
    chosen: list[int] = []
    seen: set[int] = set()
    for ego in rng.choice(n, size=min(egos, n), replace=False).tolist():
        frontier, taken = [ego], 0
        while frontier and taken < per_ego:
            nxt = []
            for v in frontier:
                if v in seen:
                    continue
                seen.add(v)
                chosen.append(v)
                taken += 1
                if taken >= per_ego:
                    break
                nxt.extend(graph.indices[graph.indptr[v] : graph.indptr[v + 1]].tolist())
            frontier = nxt
    nodes = np.array(chosen, dtype=np.int64)
    sub = graph[nodes][:, nodes].tocoo()
    keep = sub.row < sub.col
    edges = np.column_stack([sub.row[keep], sub.col[keep]]).astype(np.int64)
    return nodes, edges


def network_positions(k: int, edges: np.ndarray) -> np.ndarray:
    """Force layout of the small sample (fixed seed, so the picture does not jump)."""
    g = nx.Graph()
    g.add_nodes_from(range(k))
    g.add_edges_from(edges.tolist())
    pos = nx.spring_layout(g, seed=7, iterations=60)
    return np.array([pos[i] for i in range(k)], dtype=float)
