"""Two source trees of sk_softmax side by side: the same fits, timed in turn.

For a change that must not slow anything down (a refactor), this times the
full-batch solvers of two checkouts -- ``--base`` and ``--head`` -- on the
solver benchmark's workloads, at the iteration budgets that reach a relative
gap of 1e-6 recorded in ``benchmarks/results/solvers_<workload>.json``, and
``LogisticRegression(solver='lbfgs')`` (scipy's BLAS held to one thread) as the
peer each tree's times are divided by. Each repeat runs one fresh process per
tree, alternating base and head, so the machine's noise falls on both; the
table gives the median and the minimum over the repeats.

Usage::

    python benchmarks/bench_trees.py --base ../old-checkout --head . \\
        --workloads W1 W2 W2f W4 --repeats 5

With ``--write``, the table goes to the "trees" section of RESULTS.md.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONTENDERS = ("auto (default)", "gd", "lbfgs", "newton-cg")
PEER = "LR lbfgs (scipy BLAS 1 thread)"

# Runs in a fresh interpreter with one tree first on sys.path: fits each
# contender once with one iteration (warm-up), then times it once at its
# budget and prints {name: seconds}.
_WORKER = """
import json, sys
tree, workload, budgets = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [tree, tree + "/benchmarks"]
import sk_softmax
assert sk_softmax.__file__.startswith(tree), sk_softmax.__file__
import bench_solvers as b
data = b.prepare(workload, 1.0)
X, _, y, _ = data["split"]
alpha = 1.0 / X.shape[0]
found = {c.name: c for c in b.contenders()}
for name in budgets:  # warm-up: first calls pay for lazy imports and caches
    found[name].fit(1, X, y, alpha)
times = {name: found[name].fit(k, X, y, alpha)[0] for name, k in budgets.items()}
print(json.dumps(times))
"""


def budgets(workload):
    """The recorded 1e-6 budgets of the contenders and the peer."""
    recorded = json.loads((HERE / "results" / f"solvers_{workload}.json").read_text())
    rows = {row["solver"]: row.get("iter_1e-06") for row in recorded["rows"]}
    return {name: rows[name] for name in (*CONTENDERS, PEER) if rows.get(name)}


def run(tree, workload, budget):
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, str(tree), workload, json.dumps(budget)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(args):
    trees = {"base": Path(args.base).resolve(), "head": Path(args.head).resolve()}
    table = {}
    for workload in args.workloads:
        budget = budgets(workload)
        times = {side: {name: [] for name in budget} for side in trees}
        for _ in range(args.repeats):
            for side, tree in trees.items():  # interleaved: base, head, base, ...
                for name, seconds in run(tree, workload, budget).items():
                    times[side][name].append(seconds)
        table[workload] = {"budgets": budget, "times": times}
        for line in rows(workload, table[workload]):
            print(line)
    return table


def rows(workload, entry):
    """Markdown rows: per contender, base and head medians, minima and ratios."""
    times = entry["times"]
    out = []
    peer = {side: np.median(times[side][PEER]) for side in times}
    for name in CONTENDERS:
        if name not in entry["budgets"]:
            continue
        base, head = times["base"][name], times["head"][name]
        out.append(
            f"| {workload} | {name} | {entry['budgets'][name]} "
            f"| {np.median(base):.3f} / {min(base):.3f} "
            f"| {np.median(head):.3f} / {min(head):.3f} "
            f"| {np.median(head) / np.median(base):.2f} "
            f"| {np.median(base) / peer['base']:.2f}× "
            f"| {np.median(head) / peer['head']:.2f}× |"
        )
    return out


def to_markdown(table, command):
    lines = [
        "Each repeat runs the same fits in a fresh process for the base tree,",
        "then for the head tree; medians and minima over the repeats, in",
        f"seconds. `{command}`",
        "",
        "| workload | solver | iterations | base median / min | head median / min "
        "| head / base | base ÷ LR lbfgs | head ÷ LR lbfgs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for workload, entry in table.items():
        lines += rows(workload, entry)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--head", default=str(HERE.parent))
    parser.add_argument("--workloads", nargs="+", default=["W1", "W2", "W2f", "W4"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    table = bench(args)
    if args.write:
        sys.path.insert(0, str(HERE))
        from _report import replace_section

        command = "python benchmarks/bench_trees.py " + " ".join(
            argv if argv is not None else sys.argv[1:]
        )
        replace_section(
            "trees",
            to_markdown(table, command.strip()),
            missing="## Two trees side by side (`bench_trees.py`)\n\n"
            "The full-batch solvers of two checkouts on the same workloads: "
            "a refactor must not slow anything down.",
        )
    return table


if __name__ == "__main__":
    main()
