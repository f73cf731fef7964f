"""The customers' social network: a seeded small-world graph in CSR arrays.

Generated directly as numpy arrays so a market of a million people builds in
about a second; ``to_networkx`` gives the same graph to networkx users.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp


def small_world(n: int, degree: int, rewiring: float, rng: np.random.Generator) -> sp.csr_matrix:
    """Watts-Strogatz small world [watts1998] as a symmetric 0/1 CSR matrix.

    Each person is tied to ``degree // 2`` neighbours on each side of a ring;
    each tie is rewired to a uniformly random person with probability
    ``rewiring`` (weak ties, [goldenberg2001]). An odd ``degree`` adds n/2
    random ties so the mean degree is ``degree``. Self-ties are dropped and
    duplicates collapse, so the mean degree is very slightly lower.
    """
    half = degree // 2
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(src)) < rewiring
    dst[rewire] = rng.integers(0, n, int(rewire.sum()))
    if degree % 2:
        extra = n // 2
        src = np.concatenate((src, rng.integers(0, n, extra)))
        dst = np.concatenate((dst, rng.integers(0, n, extra)))
    keep = src != dst
    src, dst = src[keep], dst[keep]
    m = sp.coo_matrix(
        (np.ones(2 * len(src), dtype=np.float32), (np.r_[src, dst], np.r_[dst, src])), shape=(n, n)
    ).tocsr()
    m.data[:] = 1.0
    m.indices = m.indices.astype(np.int32 if n < 2**31 else np.int64)
    return m


def _neighbour_lists(graph: sp.csr_matrix, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The neighbours of ``nodes``, one list after another, and each list's length."""
    starts = graph.indptr[nodes]
    counts = graph.indptr[nodes + 1] - starts
    # position k of the output reads indices[starts[j] + (k - first output slot of j)]
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return graph.indices[shift + np.arange(len(shift))], counts


def neighbours(graph: sp.csr_matrix, nodes: np.ndarray) -> np.ndarray:
    """All neighbours of ``nodes`` (with repeats), vectorised."""
    return _neighbour_lists(graph, nodes)[0].astype(np.int64)


def count_neighbours(graph: sp.csr_matrix, nodes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How many of each node's neighbours are in ``mask``, for ``nodes`` only."""
    found, counts = _neighbour_lists(graph, nodes)
    return np.bincount(np.repeat(np.arange(len(nodes)), counts), weights=mask[found], minlength=len(nodes))


def random_neighbours(graph: sp.csr_matrix, nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly random neighbour for each entry of ``nodes`` (-1 if isolated)."""
    starts = graph.indptr[nodes]
    deg = graph.indptr[nodes + 1] - starts
    pick = starts + (rng.random(len(nodes)) * deg).astype(starts.dtype)
    has = deg > 0
    if has.all():
        return graph.indices[pick]
    out = np.full(len(nodes), -1, dtype=graph.indices.dtype)
    out[has] = graph.indices[pick[has]]
    return out


def to_networkx(graph: sp.csr_matrix) -> nx.Graph:
    """The same network as a networkx graph."""
    return nx.from_scipy_sparse_array(graph)
