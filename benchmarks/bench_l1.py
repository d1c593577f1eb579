"""L1 and elastic-net fits: time to a relative objective gap, per solver.

For each workload, ``l1_ratio`` and ``alpha = fraction * alpha_max``
(``alpha_max``: the smallest penalty at which every weight is zero), the
objective ``F`` of sk_softmax is minimised by

- ``prox-newton`` and ``gd`` (sk_softmax's registry entries, run on the
  objective directly, each iteration's objective recorded with its time),
- scikit-learn's ``LogisticRegression(solver="saga")`` with ``C = 1 / (alpha
  n)``, run with a doubling ``max_iter`` (each run timed from scratch),
- python-glmnet's ``LogitNet`` when it imports (its own lambda path,
  ``standardize=False``, ``lambda_path`` ending at ``alpha``); skipped with a
  printed reason otherwise,

and the time each first reaches ``(F - F*) / |F*| <= 1e-4`` and ``1e-6`` is
reported, ``F*`` being the best value any run found polished by prox-newton at
``tol=1e-10``. The last column is the time the L2 default (``solver='auto'``,
``l1_ratio=0``, same ``alpha``) needs to reach a gap of 1e-6 on its own
problem. Repeats are interleaved; median and minimum are printed.

Usage: ``python benchmarks/bench_l1.py [--workloads digits W2 W3s]
[--scale 1.0] [--repeats 3] [--fractions 0.05 0.01] [--l1-ratios 1.0 0.5]
[--budget 60] [--solvers prox-newton gd saga glmnet] [--no-record]
[--output rows.json] [--figure gaps.png]``; ``--merge a.json b.json``
records the rows of earlier runs (run with ``--output``) as one table.
Every run stops after ``--budget`` seconds (saga: its successive runs
stop once they have spent it; glmnet: its runs are forked processes, killed
when they have spent it; the polishing runs get twice that).
"""

import argparse
import json
import multiprocessing
import time
import warnings

import numpy as np
from _report import environment, replace_section
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from workloads import w1, w2, w3

from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet
from sk_softmax._solvers import SOLVERS, FullBatchSettings, resolve_solver

GAPS = (1e-4, 1e-6)


def load(name, scale):
    """Training data of a workload, labels encoded."""
    if name == "digits":  # scale < 1 keeps the first rows (smoke tests)
        X, _, y, _ = w1()
        n = max(int(len(y) * min(scale, 1.0)), 100)
        X, y = X[:n], y[:n]
    elif name == "W2":
        X, _, y, _ = w2(scale)
    else:  # W3s: the W3 generator at 50,000 x 20,000 (40,000 for training)
        X, _, y, _ = w3(0.5 * scale, n_features=20_000)
    return X, np.unique(y, return_inverse=True)[1]


def objective(X, y, alpha, l1_ratio):
    K = int(y.max()) + 1
    return LinearSoftmaxLoss(X, y, K, penalty=ElasticNet(alpha, l1_ratio))


def alpha_max(X, y, l1_ratio):
    """Smallest alpha with the all-zero weights optimal."""
    obj = objective(X, y, 0.0, 0.0)
    x0 = obj.intercept_only_coef()
    grad = obj.value_gradient(x0)[1]
    return float(np.abs(obj.unpack(grad)[0]).max()) / l1_ratio


def trace_ours(obj, name, tol, max_iter, budget_s=np.inf):
    """Times and objective values of each iteration of a registry solver.

    The run stops after `budget_s` seconds.
    """
    trace = []
    start = time.perf_counter()

    def callback(n_iter, fun, grad_norm, step, x):
        trace.append((time.perf_counter() - start, fun))
        return trace[-1][0] > budget_s

    solver = name if isinstance(name, str) else name.name
    settings = FullBatchSettings(tol=tol, max_iter=max_iter)
    result = SOLVERS[solver].run(obj, obj.intercept_only_coef(), settings, callback)
    return trace, result


def trace_saga(X, y, obj, alpha, l1_ratio, budget_s):
    """(time, F) of saga runs with max_iter 1, 2, 4, ... within `budget_s`."""
    trace, max_iter, spent = [], 1, 0.0
    while spent < budget_s and max_iter <= 4096:
        model = LogisticRegression(
            solver="saga",
            C=1 / (alpha * len(y)),
            l1_ratio=l1_ratio,
            tol=1e-12,
            max_iter=max_iter,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(X, y)
            elapsed = time.perf_counter() - start
        coef = obj.pack(model.coef_.astype(obj.dtype), model.intercept_)
        trace.append((elapsed, obj.value(coef) + obj.nonsmooth_value(coef)))
        spent += elapsed
        max_iter *= 2
    return trace


def _fit_glmnet(X, y, l1_ratio, path, tol, conn):
    """Fit LogitNet along `path` (in a child process); send what it found."""
    from glmnet import LogitNet

    model = LogitNet(
        alpha=l1_ratio,
        lambda_path=path,
        standardize=False,
        tol=tol,
        n_splits=0,
        max_iter=100_000,
    )
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(X, y)
    except ValueError as error:  # LogitNet fails on some paths
        conn.send(("failed", str(error)))
        return
    elapsed = time.perf_counter() - start
    if len(model.lambda_path_) < len(path):  # stopped before alpha
        conn.send(("short", elapsed))
        return
    W, b = model.coef_path_[..., -1], model.intercept_path_[..., -1]
    conn.send(("done", elapsed, W, b))


def _glmnet_with_timeout(X, y, l1_ratio, path, tol, timeout):
    """One LogitNet fit in a forked process, killed after `timeout` seconds.

    A single Fortran fit cannot be interrupted from Python; the fork shares
    the data without copying it. Returns the child's message, or None on
    timeout.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_fit_glmnet, args=(X, y, l1_ratio, path, tol, sender)
    )
    child.start()
    message = receiver.recv() if receiver.poll(max(timeout, 0.0)) else None
    child.kill()
    child.join()
    return message


def trace_glmnet(X, y, obj, alpha, l1_ratio, budget_s):
    """(time, F) of LogitNet paths ending at `alpha`, tighter and tighter.

    Each run is killed once the runs have spent `budget_s` seconds in all.
    """
    trace, spent = [], 0.0
    for tol in (1e-4, 1e-6, 1e-8, 1e-10):
        if spent >= budget_s:
            break
        path = alpha * np.geomspace(20.0, 1.0, 5)
        message = _glmnet_with_timeout(X, y, l1_ratio, path, tol, budget_s - spent)
        if message is None:
            print(f"glmnet stopped at tol={tol}: the {budget_s:g} s budget ran out")
            break
        if message[0] == "failed":
            print(f"glmnet failed at tol={tol}: {message[1]}")
            continue
        spent += message[1]
        if message[0] == "short":
            continue
        coef = obj.pack(message[2].astype(obj.dtype), message[3])
        trace.append((message[1], obj.value(coef) + obj.nonsmooth_value(coef)))
    return trace


def first_time(trace, f_star, gap):
    """First time in `trace` with relative gap <= `gap`, or None."""
    for t, f in trace:
        if (f - f_star) / abs(f_star) <= gap:
            return t
    return None


def peers(wanted):
    """The peers that run here, and why the others do not."""
    available = ["prox-newton", "gd", "saga"]
    if "glmnet" not in wanted:
        return available
    try:
        import glmnet  # noqa: F401

        available.append("glmnet")
    except ImportError as error:
        print(f"glmnet skipped: python-glmnet does not import ({error}).")
    return available


def run_case(X, y, alpha, l1_ratio, names, repeats, budget):
    """Per solver, the times to each gap over the repeats (interleaved)."""
    obj = objective(X, y, alpha, l1_ratio)
    traces = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            if name in ("prox-newton", "gd"):
                max_iter = 100 if name == "prox-newton" else 5000
                run = trace_ours(obj, name, 1e-9, max_iter, budget)
                traces[name].append(run[0])
            elif name == "saga":
                traces[name].append(trace_saga(X, y, obj, alpha, l1_ratio, budget))
            else:
                traces[name].append(trace_glmnet(X, y, obj, alpha, l1_ratio, budget))
    polished = trace_ours(obj, "prox-newton", 1e-10, 200, 2 * budget)[1].fun
    f_star = min([polished] + [f for ts in traces.values() for tr in ts for _, f in tr])
    times = {
        name: {
            str(gap): [first_time(tr, f_star, gap) for tr in traces[name]]
            for gap in GAPS
        }
        for name in names
    }
    # The gap against time of each solver's first run, for the figure.
    gaps = {
        name: [(t, (f - f_star) / abs(f_star)) for t, f in traces[name][0]]
        for name in names
    }
    return times, gaps


def l2_default_time(X, y, alpha, repeats, budget):
    """Time the L2 default needs to a 1e-6 relative gap, same alpha."""
    obj = objective(X, y, alpha, 0.0)
    problem = type(
        "P",
        (),
        {
            "sparse": not isinstance(X, np.ndarray),
            "kind": "numpy",
            "n_samples": X.shape[0],
            "objective": obj,
        },
    )
    solver = resolve_solver("auto", problem, 0.0, False)
    traces = [trace_ours(obj, solver, 1e-9, 1000, budget)[0] for _ in range(repeats)]
    f_star = min(f for tr in traces for _, f in tr)
    f_star = min(f_star, trace_ours(obj, "newton-cg", 1e-11, 200, 2 * budget)[1].fun)
    return solver.name, [first_time(tr, f_star, 1e-6) for tr in traces]


def fmt(times):
    done = [t for t in times if t is not None]
    if len(done) < len(times) or not done:
        return "not reached"
    return f"{np.median(done):.3g} s (min {min(done):.3g})"


def table(results):
    lines = [
        "| data | l1_ratio | alpha / alpha_max | solver | to 1e-4 | to 1e-6 |",
        "|---|---|---|---|---|---|",
    ]
    for row in results:
        for name, gaps in row["times"].items():
            lines.append(
                f"| {row['workload']} | {row['l1_ratio']} | {row['fraction']} | "
                f"{name} | {fmt(gaps['0.0001'])} | {fmt(gaps['1e-06'])} |"
            )
        l2_name, l2 = row["l2_default"]
        lines.append(
            f"| {row['workload']} | 0 (L2) | {row['fraction']} | "
            f"auto = {l2_name} | | {fmt(l2)} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["digits", "W2", "W3s"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.05, 0.01])
    parser.add_argument("--l1-ratios", nargs="+", type=float, default=[1.0, 0.5])
    parser.add_argument(
        "--solvers", nargs="+", default=["prox-newton", "gd", "saga", "glmnet"]
    )
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds per run, at most"
    )
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--output", default=None)
    parser.add_argument(
        "--merge",
        nargs="+",
        default=None,
        help="record the rows of earlier --output files instead of running",
    )
    parser.add_argument(
        "--figure", default=None, help="plot the gap against time into this file"
    )
    parser.add_argument(
        "--figure-case",
        nargs=2,
        type=float,
        default=[1.0, 0.05],
        metavar=("L1_RATIO", "FRACTION"),
        help="the case the figure shows, one panel per workload",
    )
    args = parser.parse_args(argv)
    if args.merge:
        results = [row for path in args.merge for row in load_rows(path)]
        record(results, args)
        return results
    names = [n for n in peers(args.solvers) if n in args.solvers]
    results = []
    for workload in args.workloads:
        X, y = load(workload, args.scale)
        for l1_ratio in args.l1_ratios:
            for fraction in args.fractions:
                alpha = fraction * alpha_max(X, y, l1_ratio)
                times, gaps = run_case(
                    X, y, alpha, l1_ratio, names, args.repeats, args.budget
                )
                row = {
                    "workload": workload,
                    "shape": list(X.shape),
                    "l1_ratio": l1_ratio,
                    "fraction": fraction,
                    "alpha": alpha,
                    "times": times,
                    "gaps": gaps,
                    "l2_default": l2_default_time(
                        X, y, alpha, args.repeats, args.budget
                    ),
                }
                print(json.dumps(row))
                results.append(row)
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"environment": environment(), "results": results}, f)
    record(results, args)
    return results


def load_rows(path):
    """The result rows of an earlier ``--output`` file."""
    with open(path) as f:
        return json.load(f)["results"]


def record(results, args):
    """Print the table; write it to RESULTS.md and draw the figure if asked."""
    body = table(results)
    print(body)
    if not args.no_record:
        replace_section(
            "l1",
            body,
            missing="## L1 and elastic-net: time to a relative gap (bench_l1.py)",
        )
    if args.figure:
        l1_ratio, fraction = args.figure_case
        shown = [
            row
            for row in results
            if row["l1_ratio"] == l1_ratio and row["fraction"] == fraction
        ]
        plot_gaps(shown, args.figure)


def plot_gaps(results, path):
    """One panel per row: each solver's relative gap against time (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(results), figsize=(4.2 * len(results), 3.4), squeeze=False
    )
    for ax, row in zip(axes[0], results, strict=True):
        for name, points in row["gaps"].items():
            t, gap = np.array(points, dtype=float).reshape(-1, 2).T
            shown = gap > 0  # a zero gap is the point that defines F*
            marker = "." if len(t) < 40 else None
            ax.loglog(t[shown], gap[shown], marker=marker, label=name)
        ax.axhline(1e-6, color="grey", linestyle=":", linewidth=1)
        n, d = row["shape"]
        ax.set_title(
            f"{row['workload']} ({n:,} x {d:,}), l1_ratio={row['l1_ratio']}, "
            f"{row['fraction']} alpha_max",
            fontsize=9,
        )
        ax.set_xlabel("seconds (log scale)")
    axes[0][0].set_ylabel("relative objective gap")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
