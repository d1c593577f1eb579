"""Inference at scale: the coefficient table against statsmodels' MNLogit.

Two workloads drawn from a known softmax model (so the maximum-likelihood
estimate exists), ``--scale`` shrinking the rows:

- I1, dense: 100,000 x 30, 6 classes (155 parameters), 1,000 clusters;
- I2, sparse CSR: 200,000 x 2,000, 10 non-zeros per row, 3 classes (4,002
  parameters).

Ours is ``SoftmaxClassifier(alpha=0, tol=1e-8, solver='newton-cg')`` then
``inference(clf, X, y, covariance=...)``; the peer is statsmodels'
``MNLogit(y, add_constant(X)).fit(method='newton', cov_type=...)`` and its
``bse``, which optimises and computes the covariance in one call. Reported,
over ``--repeats`` runs with the contenders interleaved: the median and
minimum wall time of the table alone (``inference``), of the fit alone, and
end to end (fit + table) for both; the peak memory ``inference`` and the
statsmodels call allocate (tracemalloc; ``X`` is allocated before); the
largest relative difference of the standard errors; and, for I1, the table
from a dask array in 8 chunks (threaded scheduler) against the in-memory one.
statsmodels is skipped, with the reason printed, where it is not installed
and on I2, which it would have to densify.

Usage::

    python benchmarks/bench_inference.py              # full size
    python benchmarks/bench_inference.py --scale 0.1 --repeats 1

``--write`` records ``benchmarks/results/inference.json`` and regenerates the
inference section of ``benchmarks/RESULTS.md`` (appending it if missing).
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
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import environment, replace_section

from sk_softmax import SoftmaxClassifier, inference, softmax

try:
    import statsmodels.api as sm
except ImportError:  # the peer is optional
    sm = None
try:
    import dask
except ImportError:  # so is dask
    dask = None

RESULTS_DIR = Path(__file__).resolve().parent / "results"
COVARIANCES = ("nonrobust", "HC0", "cluster")
METHOD = (
    "Data drawn from a known softmax model. Ours: `SoftmaxClassifier(alpha=0, "
    "tol=1e-8, solver='newton-cg')`, then `inference(clf, X, y, covariance=...)`"
    "; statsmodels: `MNLogit(y, add_constant(X)).fit(method='newton', "
    "cov_type=...)` and its `bse` (optimisation and covariance in one call). "
    "Times are the median (minimum) over the repeats, contenders interleaved; "
    "memory is the peak tracemalloc reports during the call (`X` allocated "
    "before). 'max rel. diff.' compares the standard errors with statsmodels'. "
    "The dask row reduces the same array in 8 chunks (threaded scheduler). "
    "Every contender runs with the same BLAS thread limit (`--threads`, "
    "default 1: on a shared machine, spinning BLAS threads make statsmodels' "
    "many small products up to 60 times slower, which would flatter ours)."
)


def workload(name, scale):
    """Return ``X, y, groups`` of workload I1 (dense) or I2 (sparse)."""
    rng = np.random.default_rng(0)
    if name == "I1":
        n, p, K = int(100_000 * scale), 30, 6
        X = rng.normal(size=(n, p))
    else:
        n, p, K, nnz = int(200_000 * scale), 2_000, 3, 10
        cols = rng.integers(0, p, size=(n, nnz))
        X = sp.csr_matrix(
            (rng.normal(size=n * nnz), cols.ravel(), np.arange(0, n * nnz + 1, nnz)),
            shape=(n, p),
        )
        X.sum_duplicates()
    W = rng.normal(0, 0.3, size=(K, p))
    P = softmax(np.asarray(X @ W.T) + rng.normal(0, 0.5, K), axis=1)
    y = (P.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).clip(max=K - 1)
    groups = rng.integers(0, 1000, n)
    return X, y, groups


def timed(f):
    """Return f's result and its wall time in s."""
    start = time.perf_counter()
    out = f()
    return out, time.perf_counter() - start


def peak_mb(f):
    """Peak memory f allocates, in MB (tracemalloc; a separate, untimed run)."""
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def statsmodels_call(X, y, covariance, groups):
    """MNLogit's fit with this covariance, and its standard errors."""
    kwargs = {"cov_kwds": {"groups": groups}} if covariance == "cluster" else {}
    exog = sm.add_constant(X)
    res = sm.MNLogit(y, exog).fit(
        disp=0, method="newton", maxiter=100, cov_type=covariance, **kwargs
    )
    bse = np.asarray(res.bse)
    return np.vstack([bse[1:], bse[:1]]).T.ravel()


def bench_workload(name, args):
    X, y, groups = workload(name, args.scale)
    skip = None
    if sm is None:
        skip = "statsmodels is not installed"
    elif sp.issparse(X):
        skip = "MNLogit needs dense exog: this X would take " + (
            f"{X.shape[0] * (X.shape[1] + 1) * 8 / 1e9:.1f} GB"
        )
    times, peaks, diffs = {}, {}, {}
    clf = SoftmaxClassifier(alpha=0, tol=1e-8, solver="newton-cg").fit(X, y)
    calls = {}
    for covariance in COVARIANCES:
        extra = {"groups": groups} if covariance == "cluster" else {}
        calls[f"ours {covariance}"] = lambda c=covariance, e=extra: inference(
            clf, X, y, covariance=c, **e
        )
        if skip is None:
            calls[f"sm {covariance}"] = lambda c=covariance: statsmodels_call(
                X, y, c, groups
            )
    for key, call in calls.items():
        peaks[key] = peak_mb(call)
    for _ in range(args.repeats):
        _, t = timed(
            lambda: SoftmaxClassifier(alpha=0, tol=1e-8, solver="newton-cg").fit(X, y)
        )
        times.setdefault("fit", []).append(t)
        for key, call in calls.items():  # interleaved
            out, t = timed(call)
            times.setdefault(key, []).append(t)
            if key.startswith("sm "):
                ours = calls["ours " + key[3:]]()
                diffs[key[3:]] = float(np.max(np.abs(ours.bse / out - 1)))
        if name == "I1" and not args.no_dask:
            times.setdefault("dask nonrobust", []).append(dask_time(clf, X, y))
    return {
        "workload": name,
        "shape": list(X.shape),
        "n_classes": int(y.max() + 1),
        "n_params": int(y.max()) * (X.shape[1] + 1),
        "skip_statsmodels": skip,
        "times": times,
        "peak_mb": peaks,
        "max_rel_diff_bse": diffs,
    }


def dask_time(clf, X, y):
    """Wall time of the nonrobust table from 8 chunks; check it equals memory."""
    import dask.array as da

    rows = -(-X.shape[0] // 8)
    X_dask = da.from_array(X, chunks=(rows, X.shape[1])).persist()
    y_dask = da.from_array(y, chunks=rows).persist()
    with dask.config.set(scheduler="threads"):
        start = time.perf_counter()
        lazy = inference(clf, X_dask, y_dask)
        elapsed = time.perf_counter() - start
    memory = inference(clf, X, y)
    np.testing.assert_allclose(lazy.cov, memory.cov, rtol=1e-9)
    return elapsed


def _diff(value):
    return "-" if value is None else f"{value:.1e}"


def _cell(values):
    if not values:
        return "-"
    return f"{np.median(values):.3f} ({np.min(values):.3f})"


def to_markdown(results):
    lines = [
        "| workload | covariance | ours: inference s | ours: fit + inference s "
        "| statsmodels: fit + bse s | end-to-end ratio | inference / statsmodels "
        "| peak MB ours / statsmodels | max rel. diff. of bse |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        label = (
            f"{r['workload']} {r['shape'][0]}x{r['shape'][1]}, K={r['n_classes']}, "
            f"P={r['n_params']}"
        )
        t = r["times"]
        for cov in COVARIANCES:
            ours = t[f"ours {cov}"]
            both = [a + b for a, b in zip(t["fit"], ours, strict=True)]
            theirs = t.get(f"sm {cov}", [])
            end_ratio = np.median(both) / np.median(theirs) if theirs else None
            inf_ratio = np.median(ours) / np.median(theirs) if theirs else None
            peaks = r["peak_mb"]
            theirs_peak = peaks.get(f"sm {cov}")
            lines.append(
                f"| {label} | {cov} | {_cell(ours)} | {_cell(both)} | "
                f"{_cell(theirs)} | "
                f"{'-' if end_ratio is None else f'{end_ratio:.2f}x'} | "
                f"{'-' if inf_ratio is None else f'{inf_ratio:.2f}x'} | "
                f"{peaks[f'ours {cov}']:.0f} / "
                f"{'-' if theirs_peak is None else f'{theirs_peak:.0f}'} | "
                f"{_diff(r['max_rel_diff_bse'].get(cov))} |"
            )
        if "dask nonrobust" in t:
            lines.append(
                f"| {label} | nonrobust, dask 8 chunks | {_cell(t['dask nonrobust'])}"
                " | - | - | - | - | - | equal (rtol 1e-9) |"
            )
        if r["skip_statsmodels"]:
            lines.append(
                f"\n{r['workload']}: statsmodels skipped: {r['skip_statsmodels']}."
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workloads", nargs="+", default=["I1", "I2"])
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads for every contender (0: as installed)",
    )
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--output", default=None, help="also write to this JSON")
    args = parser.parse_args(argv)
    if sm is None:
        print("statsmodels is not installed: its columns are skipped.")
    if dask is None and not args.no_dask:
        print("dask is not installed: the dask row is skipped.")
        args.no_dask = True
    limit = None if args.threads == 0 else args.threads
    with warnings.catch_warnings(), threadpool_limits(limit):
        warnings.simplefilter("ignore")
        results = [bench_workload(name, args) for name in args.workloads]
    out = {
        "results": results,
        "env": environment(),
        "blas_threads": args.threads or "as installed",
        "command": "python benchmarks/bench_inference.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
    }
    table = to_markdown(results)
    print(METHOD)
    print(table)
    if args.output:
        Path(args.output).write_text(json.dumps(out, indent=1))
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "inference.json").write_text(json.dumps(out, indent=1))
        body = f"Command: `{out['command']}`\n\n{table}"
        replace_section(
            "inference",
            body,
            missing=f"## Inference (`bench_inference.py`)\n\n{METHOD}",
        )
    return out


if __name__ == "__main__":
    main()
