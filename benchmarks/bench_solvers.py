"""Time to the optimum: sk_softmax's solvers against LogisticRegression's.

Every contender minimises the same objective (``alpha = 1 / n``, i.e. ``C = 1``).
For each, the script finds the smallest iteration budget (``max_iter`` with
``tol=0``) whose fit from scratch reaches a relative gap ``(F - F*) / F*`` of
1e-4 and 1e-6, where ``F*`` comes from a very tight reference solve, and reports
the median wall time of fits with that budget. Each timed fit is a genuine, full
fit from scratch; the search over budgets doubles, then bisects.

Usage::

    python benchmarks/bench_solvers.py                 # every workload
    python benchmarks/bench_solvers.py --workloads W1 W2 --repeats 5
    python benchmarks/bench_solvers.py --scale 0.1     # smaller data, smoke run

With ``--write``, each workload's results go to
``benchmarks/results/solvers_<workload>.json`` and ``benchmarks/RESULTS.md`` is
regenerated from all recorded workloads.
"""

import argparse
import json
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import environment, median_ms, replace_section
from workloads import WORKLOADS

from sk_softmax import SoftmaxClassifier
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._optim._threads import single_threaded_scipy_blas
from sk_softmax._penalty import ElasticNet

HERE = Path(__file__).resolve().parent
TARGETS = (1e-4, 1e-6)
# newton-cholesky forms the (K d)^2 Hessian: 5 GB on W4, 8 TB on W3.
SKIP = {("LR newton-cholesky", "W3"), ("LR newton-cholesky", "W4")}


class Contender:
    """A named way to fit the model with a given iteration budget."""

    def __init__(self, name, make, limit_scipy_blas=False):
        self.name = name
        self.make = make
        self.limit_scipy_blas = limit_scipy_blas

    def fit(self, max_iter, X, y, alpha):
        model = self.make(max_iter, alpha, len(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.limit_scipy_blas:
                with single_threaded_scipy_blas():
                    start = time.perf_counter()
                    model.fit(X, y)
            else:
                start = time.perf_counter()
                model.fit(X, y)
            seconds = time.perf_counter() - start
        return seconds, model


def _ours(solver):
    def make(max_iter, alpha, n):
        return SoftmaxClassifier(
            solver=solver, alpha=alpha, tol=0, max_iter=max_iter, random_state=0
        )

    return make


def _logistic(solver):
    def make(max_iter, alpha, n):
        return LogisticRegression(
            solver=solver, C=1.0 / (alpha * n), tol=0, max_iter=max_iter
        )

    return make


# LogisticRegression solvers whose work runs partly on scipy's own BLAS (L-BFGS-B,
# scipy.linalg): they are also timed with that pool held to one thread.
_SCIPY_BLAS_SOLVERS = ("lbfgs", "newton-cholesky")


def contenders():
    out = [Contender("auto (default)", _ours("auto"))]
    out += [Contender(s, _ours(s)) for s in ("gd", "lbfgs", "newton-cg")]
    for solver in ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"):
        out.append(Contender(f"LR {solver}", _logistic(solver)))
        if solver in _SCIPY_BLAS_SOLVERS:
            name = f"LR {solver} (scipy BLAS 1 thread)"
            out.append(Contender(name, _logistic(solver), True))
    return out


def objective(model, X, y_encoded, n_classes, alpha):
    """The common objective, in float64, at a fitted model's coefficients."""
    X64 = X.astype(np.float64)
    loss = LinearSoftmaxLoss(
        X64, y_encoded, n_classes, fit_intercept=True, penalty=ElasticNet(alpha)
    )
    coef = loss.pack(model.coef_.astype(np.float64), model.intercept_)
    return loss.value(coef)


class Search:
    """Smallest iteration budget reaching each target gap, and its timings."""

    def __init__(self, contender, data, F_star, alpha, repeats, budget_s):
        self.c, self.data, self.F_star = contender, data, F_star
        self.alpha, self.repeats, self.budget_s = alpha, repeats, budget_s
        self.runs = {}  # max_iter -> (seconds, gap, model)

    def run(self, k):
        if k not in self.runs:
            X, _, y, _ = self.data["split"]
            seconds, model = self.c.fit(k, X, y, self.alpha)
            F = objective(
                model, X, self.data["y_enc"], self.data["n_classes"], self.alpha
            )
            self.runs[k] = (seconds, (F - self.F_star) / abs(self.F_star), model)
        return self.runs[k]

    def smallest(self, target):
        lo, k = 0, 1  # lo: largest budget known to miss the target
        while True:
            seconds, gap, _ = self.run(k)
            if gap <= target:
                break
            if seconds > self.budget_s or k >= 2**14:
                return None
            lo, k = k, 2 * k
        hi = k
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.run(mid)[1] <= target:
                hi = mid
            else:
                lo = mid
        return hi

    def median_time(self, k):
        X, _, y, _ = self.data["split"]
        times = [self.runs[k][0]]
        times += [self.c.fit(k, X, y, self.alpha)[0] for _ in range(self.repeats - 1)]
        return float(np.median(times))


def peak_memory_mb(contender, k, data, alpha):
    X, _, y, _ = data["split"]
    tracemalloc.start()
    try:
        contender.fit(k, X, y, alpha)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / 2**20


def reference_optimum(data, alpha):
    X, _, y, _ = data["split"]
    X64 = X.astype(np.float64)
    model = SoftmaxClassifier(
        solver="newton-cg", alpha=alpha, tol=1e-9, max_iter=100, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X64, y)
    return objective(model, X64, data["y_enc"], data["n_classes"], alpha)


def gradient_timing(data, alpha, repeats=20):
    """Median time of one gradient evaluation and of the two bare products."""
    X = data["split"][0]
    K = data["n_classes"]
    loss = LinearSoftmaxLoss(X, data["y_enc"], K, penalty=ElasticNet(alpha))
    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.1, (K, X.shape[1])).astype(X.dtype)
    coef = loss.pack(W)
    G = rng.normal(0, 0.1, (X.shape[0], K)).astype(X.dtype)
    GT = np.ascontiguousarray(G.T)

    def median(f):
        return median_ms(f, repeats)

    if sp.issparse(X):
        row_major = median(lambda: X @ W.T) + median(lambda: X.T @ G)
        class_major = row_major
    else:
        row_major = median(lambda: X @ W.T) + median(lambda: G.T @ X)
        class_major = median(lambda: W @ X.T) + median(lambda: GT @ X)
    grad = median(lambda: loss.value_gradient(coef))
    bare = min(row_major, class_major)
    return {
        "gradient_ms": grad,
        "products_row_major_ms": row_major,
        "products_class_major_ms": class_major,
        "ratio": grad / bare,
    }


def prepare(name, scale):
    split = WORKLOADS[name](scale)
    y_train = split[2]
    classes, y_enc = np.unique(y_train, return_inverse=True)
    return {"split": split, "y_enc": y_enc, "n_classes": len(classes)}


def bench_workload(name, args):
    data = prepare(name, args.scale)
    X, X_test, _, y_test = data["split"]
    n, K = X.shape[0], data["n_classes"]
    alpha = 1.0 / n
    print(f"\n## {name}: {X.shape[0]} x {X.shape[1]} {X.dtype}, {K} classes", end="")
    print(", sparse CSR" if sp.issparse(X) else "", flush=True)
    F_star = reference_optimum(data, alpha)
    print(f"reference F* = {F_star!r}", flush=True)
    rows = []
    for contender in contenders():
        if args.solvers and contender.name not in args.solvers:
            continue
        if (contender.name.split(" (")[0], name) in SKIP:
            rows.append({"solver": contender.name, "skipped": "Hessian too large"})
            continue
        # One untimed fit first, so no timed fit pays for first-use costs.
        contender.fit(1, X, data["split"][2], alpha)
        search = Search(contender, data, F_star, alpha, args.repeats, args.budget)
        row = {"solver": contender.name}
        for target in TARGETS:
            k = search.smallest(target)
            key = f"{target:.0e}"
            row[f"iter_{key}"] = k
            row[f"time_{key}"] = None if k is None else search.median_time(k)
        k_final = row["iter_1e-06"] or max(search.runs)
        _, gap, model = search.runs[k_final]
        row["final_gap"] = gap
        row["accuracy"] = accuracy_score(y_test, model.predict(X_test))
        row["log_loss"] = log_loss(y_test, model.predict_proba(X_test))
        row["peak_mb"] = peak_memory_mb(contender, k_final, data, alpha)
        rows.append(row)
        print(_format_row(row), flush=True)
    size_x = X.data.nbytes if sp.issparse(X) else X.nbytes
    result = {
        "workload": name,
        "shape": list(X.shape),
        "dtype": str(X.dtype),
        "n_classes": K,
        "F_star": F_star,
        "size_X_mb": size_x / 2**20,
        "nK_itemsize_mb": n * K * X.dtype.itemsize / 2**20,
        "gradient": gradient_timing(data, alpha),
        "rows": rows,
    }
    return result


def _fmt_time(t):
    return "not reached" if t is None else f"{t:.3f}"


def _format_row(row):
    if "skipped" in row:
        return f"| {row['solver']} | skipped: {row['skipped']} | | | | | | |"
    return (
        f"| {row['solver']} | {_fmt_time(row['time_1e-04'])} | "
        f"{_fmt_time(row['time_1e-06'])} | {row['iter_1e-06'] or '-'} | "
        f"{row['accuracy']:.4f} | {row['log_loss']:.4f} | {row['peak_mb']:.1f} |"
    )


HEADER = (
    "| solver | s to 1e-4 | s to 1e-6 | iter to 1e-6 | test accuracy | "
    "test log-loss | peak MB |\n|---|---|---|---|---|---|---|"
)


def summary(result):
    rows = [r for r in result["rows"] if "skipped" not in r]
    ours = {r["solver"]: r for r in rows if not r["solver"].startswith("LR")}
    lr = [r for r in rows if r["solver"].startswith("LR") and r["time_1e-06"]]
    lines = []
    if lr:
        best = min(lr, key=lambda r: r["time_1e-06"])
        lines.append(
            f"fastest LogisticRegression to 1e-6: {best['solver']} "
            f"({best['time_1e-06']:.3f} s)"
        )
        for name, r in ours.items():
            if r["time_1e-06"]:
                lines.append(
                    f"{name}: {r['time_1e-06'] / best['time_1e-06']:.2f}x of it"
                )
    g = result["gradient"]
    lines.append(
        f"one gradient {g['gradient_ms']:.2f} ms; bare products "
        f"{g['products_row_major_ms']:.2f} ms (X @ W.T, G.T @ X), "
        f"{g['products_class_major_ms']:.2f} ms (W @ X.T, G @ X); "
        f"ratio to the faster {g['ratio']:.2f}"
    )
    lines.append(
        f"size(X) {result['size_X_mb']:.1f} MB, n*K*itemsize "
        f"{result['nK_itemsize_mb']:.1f} MB"
    )
    return lines


def to_markdown(results):
    out = []
    for result in results:
        shape = "x".join(map(str, result["shape"]))
        out.append(
            f"### {result['workload']} ({shape}, {result['dtype']}, "
            f"{result['n_classes']} classes)"
        )
        out += ["", f"Command: `{result['command']}`", "", HEADER]
        out += [_format_row(r) for r in result["rows"]]
        out.append("")
        out += [f"- {line}" for line in summary(result)]
        out.append("")
    if results:
        out += ["Environment of the last run:", "", "```"]
        out += [json.dumps(results[-1]["env"], indent=1), "```"]
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS))
    parser.add_argument("--solvers", nargs="+", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--budget", type=float, default=60.0, help="give up above this many s/fit"
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="record each workload in results/ and regenerate RESULTS.md",
    )
    parser.add_argument("--output", default=None, help="also write all to this JSON")
    args = parser.parse_args(argv)
    env = environment()
    print(json.dumps(env, indent=1))
    command = "python benchmarks/bench_solvers.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    results = []
    for name in args.workloads:
        result = bench_workload(name, args)
        result["env"], result["command"] = env, command.strip()
        results.append(result)
        for line in summary(result):
            print("-", line)
        if args.write:
            path = RESULTS_DIR / f"solvers_{name}.json"
            path.write_text(json.dumps(result, indent=1))
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=1))
    if args.write:
        write_results_md()
    return results


RESULTS_DIR = HERE / "results"


def write_results_md():
    """Regenerate the solver section of RESULTS.md from results/solvers_*.json."""
    recorded = {p.stem.split("_", 1)[1]: p for p in RESULTS_DIR.glob("solvers_*.json")}
    results = [
        json.loads(recorded[name].read_text()) for name in WORKLOADS if name in recorded
    ]
    replace_section("solvers", to_markdown(results))


if __name__ == "__main__":
    main()
