"""The organisation: generated hierarchies, informal ties, and imported org charts."""

from __future__ import annotations

import csv
import hashlib

import networkx as nx
import numpy as np
import pytest

from model.departments import DEPARTMENTS, DEPT_INDEX, LEVELS
from model.limits import LIMITS, LimitError, Limits
from model.model import CultureModel
from model.org import (
    EXECUTIVE,
    MANAGER,
    STAFF,
    OrgChartError,
    _bfs_order,
    _depths,
    department_sizes,
    generate_org,
    load_org_chart,
    read_org_chart,
)
from model.params import SPECS

SHARES = {d: SPECS[f"dept_share_{d}"].default for d in DEPARTMENTS}


def org_of(n, span=8, peer_ties=0.0, cross_ties=0.0, seed=0, shares=None):
    return generate_org(n, shares or SHARES, span, peer_ties, cross_ties, np.random.default_rng(seed))


def degrees(ties) -> np.ndarray:
    return np.asarray(ties.sum(axis=1)).ravel()


def team_size(org) -> np.ndarray:
    """Size of each employee's team (everyone with the same manager); 0 for the CEO."""
    counts = np.bincount(org.parent[org.parent >= 0], minlength=org.size)
    return np.where(org.parent >= 0, counts[np.maximum(org.parent, 0)], 0)


# ------------------------------------------------------------- generation
SIZES = [(6, 2), (12, 3), (40, 8), (257, 5), (1000, 8), (3000, 20)]


@pytest.mark.parametrize(("n", "span"), SIZES)
def test_generated_org_has_exact_size_and_a_single_root_that_is_the_ceo(n, span):
    org = org_of(n, span)
    assert org.size == n
    assert len(org.ids) == len(org.dept) == len(org.level) == len(org.depth) == n
    assert np.flatnonzero(org.parent < 0).tolist() == [0]
    assert org.dept[0] == DEPT_INDEX["executive"] and org.level[0] == EXECUTIVE and org.depth[0] == 0


@pytest.mark.parametrize(("n", "span"), SIZES)
def test_generated_org_is_in_breadth_first_order(n, span):
    org = org_of(n, span)
    i = np.arange(1, n)
    assert (org.parent[1:] < i).all(), "every manager comes before their reports"
    assert (np.diff(org.depth) >= 0).all(), "depth never decreases along the order"
    assert (org.depth[1:] == org.depth[org.parent[1:]] + 1).all()
    assert (np.diff(org.parent[1:]) >= 0).all(), "reports of one manager are contiguous"


@pytest.mark.parametrize(("n", "span"), SIZES)
def test_span_of_control_is_respected_below_the_ceo(n, span):
    org = org_of(n, span)
    reports = np.bincount(org.parent[org.parent >= 0], minlength=n)
    assert reports[1:].max(initial=0) <= span


@pytest.mark.parametrize(("n", "span"), SIZES)
def test_ceo_manages_department_heads_and_the_executive_team(n, span):
    org = org_of(n, span)
    direct = np.flatnonzero(org.parent == 0)
    heads = {int(d) for d in org.dept[direct] if d != DEPT_INDEX["executive"]}
    staffed = {int(d) for d in np.unique(org.dept) if d != DEPT_INDEX["executive"]}
    assert heads == staffed, "each staffed department has exactly one head reporting to the CEO"
    assert len(direct) == len(heads) + (org.dept == DEPT_INDEX["executive"]).sum() - 1
    for d in staffed:  # the head of a department is its first member, and it is one tree
        members = np.flatnonzero(org.dept == d)
        assert org.parent[members[0]] == 0
        assert (org.dept[org.parent[members[1:]]] == d).all()


@pytest.mark.parametrize("n", [40, 300, 1000, 12345])
def test_department_headcounts_follow_the_shares(n):
    org = org_of(n)
    sizes = np.bincount(org.dept, minlength=len(DEPARTMENTS))
    assert sizes.sum() == n
    assert (sizes == department_sizes(n, SHARES)).all()
    w = np.array([SHARES[d] for d in DEPARTMENTS])
    expected = n * w / w.sum()
    assert np.abs(sizes - expected).max() < 1.0 + 1e-9, "largest remainder: within one person"


@pytest.mark.parametrize("n", [3, 4, 5, 9, 20])
@pytest.mark.parametrize("executive_share", ["default", 0.0])
def test_department_sizes_always_include_a_ceo_and_sum_to_n(n, executive_share):
    """BUG (n = 3..5): when no department gets more than one person,
    ``department_sizes`` gives the CEO seat and then takes it back, because
    ``argmax`` of the sizes picks the executive department itself."""
    shares = SHARES if executive_share == "default" else {**SHARES, "executive": executive_share}
    sizes = department_sizes(n, shares)
    assert sizes.sum() == n and sizes[DEPT_INDEX["executive"]] >= 1 and (sizes >= 0).all()


def test_model_builds_with_the_smallest_allowed_workforce(small):
    """BUG: ``CultureModel(n_employees=3)`` (the range's lower bound) fails with
    an IndexError in ``generate_org`` (see department_sizes above)."""
    n = int(SPECS["n_employees"].lo)
    m = CultureModel(rng=1, **{**small, "n_employees": n})
    m.step()
    assert m.metrics["headcount"] == n


@pytest.mark.parametrize("n", [300, 5000])
def test_executive_level_holds_the_ceo_the_executive_team_and_department_heads(n):
    org = org_of(n)
    sizes = np.bincount(org.dept, minlength=len(DEPARTMENTS))
    others = np.arange(len(DEPARTMENTS)) != DEPT_INDEX["executive"]
    assert (sizes[others] >= 2).all(), "precondition: every department head has reports"
    execs = set(np.flatnonzero(org.level == EXECUTIVE).tolist())
    assert execs == {0} | set(np.flatnonzero(org.parent == 0).tolist())
    has_reports = np.bincount(org.parent[org.parent >= 0], minlength=n) > 0
    below = org.level != EXECUTIVE
    assert (org.level[below & has_reports] == MANAGER).all()
    assert (org.level[below & ~has_reports] == STAFF).all()


@pytest.mark.parametrize(("peer", "cross"), [(4.0, 0.0), (0.0, 2.0), (3.0, 1.5), (0.0, 0.0)])
def test_informal_ties_are_symmetric_unweighted_and_without_self_ties(peer, cross):
    org = org_of(600, 8, peer, cross, seed=3)
    t = org.ties.tocsr()
    assert t.shape == (600, 600)
    assert abs(t - t.T).nnz == 0
    assert t.diagonal().sum() == 0
    assert (t.data == 1.0).all()
    if peer == cross == 0:
        assert t.nnz == 0


def test_peer_ties_join_only_teammates_and_cross_ties_only_other_departments():
    org = org_of(800, 8, 4.0, 0.0, seed=5)
    peers = org.ties.tocoo()
    assert peers.nnz > 0 and (org.parent[peers.row] == org.parent[peers.col]).all()
    cross_org = org_of(800, 8, 0.0, 2.0, seed=5)
    cross = cross_org.ties.tocoo()
    assert cross.nnz > 0 and (cross_org.dept[cross.row] != cross_org.dept[cross.col]).all()


@pytest.mark.parametrize("peer_ties", [2.0, 4.0])
def test_mean_peer_ties_roughly_as_parameterised(peer_ties):
    """BUG (calibration): partners are drawn with replacement from the whole
    team, the employee included, and duplicates then collapse, so a team of T
    gets about (T - 1)(1 - exp(-peer_ties / T)) ties each: with span 10 and
    peer_ties 4, about 3.0 instead of 4 (25% short; 30% at span 8)."""
    org = org_of(20_000, 10, peer_ties, 0.0, seed=7)
    room = team_size(org) - 1 >= peer_ties  # teams big enough to give everyone peer_ties ties
    assert room.mean() > 0.9
    mean = degrees(org.ties)[room].mean()
    assert mean == pytest.approx(peer_ties, rel=0.10)


@pytest.mark.parametrize("cross_ties", [0.5, 2.0])
def test_mean_cross_department_ties_roughly_as_parameterised(cross_ties):
    """BUG (calibration): a cross tie drawn to someone in the same department is
    discarded, not redrawn, so employees get cross_ties (1 - sum of squared
    shares), about 15% fewer than parameterised at default shares."""
    org = org_of(20_000, 8, 0.0, cross_ties, seed=7)
    assert degrees(org.ties).mean() == pytest.approx(cross_ties, rel=0.10)


def test_same_seed_gives_identical_org_and_different_seed_different_ties():
    a, b, c = (org_of(500, 6, 4.0, 1.0, seed=s) for s in (11, 11, 12))
    for field in ("ids", "parent", "dept", "level", "depth"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert abs(a.ties - b.ties).nnz == 0
    assert abs(a.ties - c.ties).nnz > 0


def test_graph_has_one_reports_edge_per_employee_and_tie_edges_both_ways():
    org = org_of(120, 5, 3.0, 1.0, seed=2)
    g = org.graph
    assert isinstance(g, nx.DiGraph) and g.number_of_nodes() == 120
    kinds = nx.get_edge_attributes(g, "kind")
    reports = [e for e, k in kinds.items() if k == "reports"]
    assert len(reports) == 119
    assert nx.is_arborescence(g.edge_subgraph(reports))
    ties = [e for e, k in kinds.items() if k == "tie"]
    assert all((v, u) in g.edges for u, v in ties)
    assert {g.nodes[i]["department"] for i in g} <= set(DEPARTMENTS)
    assert {g.nodes[i]["level"] for i in g} <= set(LEVELS)


def test_layout_places_every_employee_at_minus_depth():
    org = org_of(60, 4)
    pos = org.layout()
    assert len(pos) == 60
    assert all(y == -org.depth[i] for i, (_, y) in pos.items())
    xs = np.array([x for x, _ in pos.values()])
    assert xs.min() >= 0.0 and xs.max() <= 1.0


def test_a_hundred_thousand_employees_can_be_generated():
    org = org_of(100_000, 8, 4.0, 0.5, seed=1)
    assert org.size == 100_000
    assert np.flatnonzero(org.parent < 0).tolist() == [0]
    assert (org.parent[1:] < np.arange(1, 100_000)).all()
    assert org.ties.shape == (100_000, 100_000) and org.ties.nnz > 0


# ------------------------------------------------------------------ import
def read_example(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load(path, seed=0):
    return load_org_chart(path, 0.0, 0.0, np.random.default_rng(seed))


def test_example_csv_loads_as_the_chart_describes(example_csv):
    rows = read_example(example_csv)
    org = load(example_csv)
    assert 30 <= org.size <= 50 and org.size == len(rows)
    by_id = {r["id"]: r for r in rows}
    assert set(org.ids.tolist()) == set(by_id)
    root = [r["id"] for r in rows if not r["manager_id"]]
    assert org.ids[0] == root[0]
    for i in range(1, org.size):
        row = by_id[org.ids[i]]
        assert org.ids[org.parent[i]] == row["manager_id"]
        assert DEPARTMENTS[org.dept[i]] == row["department"]
    assert {DEPARTMENTS[d] for d in org.dept} == set(DEPARTMENTS), "every department is staffed"
    assert (org.parent[1:] < np.arange(1, org.size)).all()


def test_example_graphml_describes_the_same_firm_as_the_example_csv(example_csv, example_graphml):
    a, b = load(example_csv), load(example_graphml)
    assert a.size == b.size
    key = {
        str(i): (str(a.ids[a.parent[k]]) if a.parent[k] >= 0 else "", a.dept[k], a.level[k])
        for k, i in enumerate(a.ids)
    }
    other = {
        str(i): (str(b.ids[b.parent[k]]) if b.parent[k] >= 0 else "", b.dept[k], b.level[k])
        for k, i in enumerate(b.ids)
    }
    assert key == other, "same managers, departments and levels (GraphML gives roles explicitly)"


def test_example_chart_levels_are_ceo_heads_then_managers_then_staff(example_csv):
    org = load(example_csv)
    assert set(np.flatnonzero(org.level == EXECUTIVE).tolist()) == {0} | set(
        np.flatnonzero(org.parent == 0).tolist()
    )
    assert (org.level == MANAGER).sum() >= 2 and (org.level == STAFF).sum() > org.size / 2


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "id,manager_id,department\n"
GRAPHML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
    '  <key id="d" for="node" attr.name="department" attr.type="string"/>\n'
)


def graphml(nodes, edges, directed=True):
    body = "".join(f'    <node id="{n}"><data key="d">{d}</data></node>\n' for n, d in nodes)
    body += "".join(f'    <edge source="{s}" target="{t}"/>\n' for s, t in edges)
    kind = "directed" if directed else "undirected"
    return GRAPHML_HEAD + f'  <graph edgedefault="{kind}">\n{body}  </graph>\n</graphml>\n'


MALFORMED = {
    "cycle": ("c.csv", HEADER + "ceo,,executive\na,b,sales\nb,a,sales\n", r"cycle"),
    "unknown_manager": ("m.csv", HEADER + "ceo,,executive\na,zed,sales\n", r"manager 'zed' of 'a'"),
    "several_roots": ("r.csv", HEADER + "ceo,,executive\nboss,,sales\n", r"several roots.*'ceo'.*'boss'"),
    "no_root": ("n.csv", HEADER + "a,b,sales\nb,a,sales\n", r"no root"),
    "duplicate_id": ("d.csv", HEADER + "ceo,,executive\na,ceo,sales\na,ceo,hr\n", r"duplicate id 'a'"),
    "empty_id": ("e.csv", HEADER + "ceo,,executive\n,ceo,sales\n", r"empty id"),
    "unknown_department": ("u.csv", HEADER + "ceo,,executive\na,ceo,Legal\n", r"unknown department 'Legal'"),
    "empty_file": ("empty.csv", "", r"empty"),
    "blank_file": ("blank.csv", "\n  \n", r"empty"),
    "header_only": ("h.csv", HEADER, r"header but no employees"),
    "wrong_columns": ("w.csv", "id,boss,dept\nceo,,executive\n", r"columns must be id,manager_id,department"),
    "extra_column": ("x.csv", "id,manager_id,department,salary\nceo,,executive,1\n", r"columns must be"),
    "unknown_role": (
        "role.csv",
        "id,manager_id,department,role\nceo,,executive,executive\na,ceo,sales,intern\n",
        r"unknown role 'intern'",
    ),
    "partial_roles": (
        "pr.csv",
        "id,manager_id,department,role\nceo,,executive,executive\na,ceo,sales,\n",
        r"role for everyone",
    ),
    "self_manager": ("s.csv", HEADER + "ceo,,executive\na,a,sales\n", r"'a' is their own manager"),
    "graphml_two_managers": (
        "two.graphml",
        graphml(
            [("ceo", "executive"), ("a", "sales"), ("b", "sales")], [("ceo", "b"), ("a", "b"), ("ceo", "a")]
        ),
        r"'b' has several managers",
    ),
    "graphml_undirected": (
        "undirected.graphml",
        graphml([("ceo", "executive"), ("a", "sales")], [("ceo", "a")], directed=False),
        r"directed",
    ),
    "graphml_no_department": (
        "nodept.graphml",
        GRAPHML_HEAD + '  <graph edgedefault="directed">\n    <node id="ceo"/>\n  </graph>\n</graphml>\n',
        r"'ceo' has no 'department'",
    ),
    "graphml_no_nodes": (
        "none.graphml",
        GRAPHML_HEAD + '  <graph edgedefault="directed">\n  </graph>\n</graphml>\n',
        r"no employees",
    ),
    "not_graphml": ("bad.graphml", "id,manager_id,department\nceo,,executive\n", r"not a readable GraphML"),
    "unsupported_suffix": ("chart.xlsx", HEADER + "ceo,,executive\n", r"use a \.csv or \.graphml"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_chart_gives_one_line_org_chart_error(tmp_path, case):
    name, text, pattern = MALFORMED[case]
    path = write(tmp_path, name, text)
    with pytest.raises(OrgChartError, match=pattern) as info:
        load(path)
    assert "\n" not in str(info.value)
    assert name in str(info.value), "the message names the file"


def test_missing_chart_file_gives_org_chart_error(tmp_path):
    with pytest.raises(OrgChartError, match=r"does not exist"):
        load(tmp_path / "nowhere.csv")


def test_chart_that_is_not_utf8_gives_org_chart_error(tmp_path):
    """BUG: a spreadsheet exported as Latin-1/cp1252 (``Müller`` as byte 0xfc)
    raises UnicodeDecodeError from ``_read_csv``: not an OrgChartError, so the
    command line shows a traceback instead of a one-line message."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + b"m\xfcller,,executive\n")
    with pytest.raises(OrgChartError, match="latin1.csv"):
        load(path)


def test_department_aliases_case_and_byte_order_mark_are_accepted(tmp_path):
    text = "\ufeffID,Manager_ID,Department\nboss,,CEO\nhelp,boss,Customer Service\nrd,boss,R&D\npeople,boss,Human Resources\n"
    org = load(write(tmp_path, "aliases.csv", text))
    got = {str(i): DEPARTMENTS[d] for i, d in zip(org.ids, org.dept, strict=True)}
    assert got == {"boss": "executive", "help": "service", "rd": "product", "people": "hr"}


def test_roles_in_the_chart_override_inferred_levels(tmp_path):
    text = "id,manager_id,department,role\nceo,,executive,executive\na,ceo,sales,manager\nb,a,sales,manager\n"
    org = load(write(tmp_path, "roles.csv", text))
    assert [LEVELS[v] for v in org.level] == ["executive", "manager", "manager"]


def test_chart_listed_children_first_is_reordered_breadth_first(tmp_path):
    text = HEADER + "c,b,sales\nb,a,sales\na,ceo,sales\nceo,,executive\n"
    org = load(write(tmp_path, "reversed.csv", text))
    assert org.ids.tolist() == ["ceo", "a", "b", "c"]
    assert org.parent.tolist() == [-1, 0, 1, 2]
    assert org.depth.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("fmt", ["csv", "graphml"])
def test_model_runs_on_the_example_chart_ignoring_n_employees(example_csv, example_graphml, small, fmt):
    chart = example_csv if fmt == "csv" else example_graphml
    size = len(read_example(example_csv))
    m = CultureModel(rng=4, org_chart=chart, **{**small, "n_employees": size + 7})
    assert m.org.size == size
    for _ in range(3):
        m.step()
    assert m.metrics["headcount"] == size
    assert str(m.org.ids[0]) == "ceo"
    assert m.employee_at[0].manager is None and m.employee_at[1].manager is m.employee_at[0]


def test_model_with_malformed_chart_raises_org_chart_error(tmp_path, small):
    path = write(tmp_path, "cyc.csv", MALFORMED["cycle"][1])
    with pytest.raises(OrgChartError, match="cycle"):
        CultureModel(rng=1, org_chart=path, **small)


# ------------------------------------------------------------ limits and provenance
def chain_csv(levels: int) -> str:
    """A chart of one line of command, ``levels`` deep, listed bottom up."""
    rows = [f"e{i},e{i - 1},service" for i in range(levels - 1, 0, -1)]
    return HEADER + "\n".join(rows) + "\ne0,,executive\n"


def test_a_chart_ten_thousand_levels_deep_reads_in_breadth_first_order(tmp_path):
    """Depth costs no extra passes (the breadth-first order is one C call)."""
    path = write(tmp_path, "chain.csv", chain_csv(10_000))
    org = load_org_chart(read_org_chart(path, limits=None), 0.0, 0.0, np.random.default_rng(0))
    assert org.ids.tolist() == [f"e{i}" for i in range(10_000)]
    assert org.depth.tolist() == list(range(10_000))
    assert org.parent.tolist() == list(range(-1, 9_999))
    assert org.chart["levels"] == 10_000 and org.chart["employees"] == 10_000


@pytest.mark.parametrize(
    ("limits", "text", "what"),
    [
        (Limits(org_levels=3), chain_csv(4), "levels of management = 4"),
        (Limits(employees=3), chain_csv(2) + "a,e0,sales\nb,e0,sales\n", "employees = 4"),
        (Limits(org_chart_bytes=10), chain_csv(2), f"size = {len(chain_csv(2))}"),
    ],
)
def test_a_chart_beyond_the_limits_is_refused_unless_they_are_lifted(tmp_path, limits, text, what):
    path = write(tmp_path, "big.csv", text)
    with pytest.raises(
        LimitError, match=rf"org chart 'big\.csv': its {what} is more than the limit.*--allow-large"
    ):
        read_org_chart(path, limits)
    assert read_org_chart(path, None).provenance["employees"] == text.count("\n") - 1
    exact = Limits(org_levels=4, employees=4, org_chart_bytes=len(text))
    read_org_chart(path, exact)  # at the limit is within it


def test_the_model_reads_a_chart_path_with_the_default_limits(tmp_path, small):
    path = write(tmp_path, "deep.csv", chain_csv(LIMITS.org_levels + 1))
    with pytest.raises(LimitError, match="levels of management"):
        CultureModel(org_chart=path, **small)
    lifted = CultureModel(org_chart=read_org_chart(path, None), **small)
    assert lifted.org.size == LIMITS.org_levels + 1


@pytest.mark.parametrize("name", ["example_csv", "example_graphml"])
def test_a_charts_provenance_is_its_file_size_hash_employees_and_levels(request, name):
    path = request.getfixturevalue(name)
    org = load(path)
    data = path.read_bytes()
    assert org.chart == {
        "file": path.name,
        "path": str(path),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "employees": org.size,
        "levels": int(org.depth.max()) + 1,
    }
    assert org_of(50).chart is None, "a generated organisation has no chart"


@pytest.mark.parametrize("seed", range(20))
def test_breadth_first_order_is_level_by_level_with_siblings_in_their_given_order(seed):
    """The order ``from_parents`` builds on, checked on random trees with random labels."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    label = rng.permutation(n)
    parent = np.full(n, -1)
    for i in range(1, n):  # label[i] reports to someone added before, often the one just before
        parent[label[i]] = label[int(rng.integers(0, i))] if rng.random() < 0.7 else label[i - 1]
    order = _bfs_order(parent)
    assert sorted(order.tolist()) == list(range(n))
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    depth = _depths(parent, order)
    assert (np.diff(depth[order]) >= 0).all(), "level by level"
    child = np.flatnonzero(parent >= 0)
    assert (rank[parent[child]] < rank[child]).all(), "managers before their reports"
    for manager in range(n):
        reports = np.flatnonzero(parent == manager)
        assert (np.diff(rank[reports]) == 1).all(), "a manager's reports together, in their given order"
    # and each level lists its people in the order of their managers
    same_level = depth[order[:-1]] == depth[order[1:]]
    assert (rank[np.maximum(parent[order[1:]], 0)] >= rank[np.maximum(parent[order[:-1]], 0)])[
        same_level
    ].all()
