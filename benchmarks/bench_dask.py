"""dask on one machine: the price of a distributed fit, against the numpy fit.

W2's training split is cut into ``--chunks`` row chunks, persisted on a
``LocalCluster`` of two single-threaded worker processes, and fitted with the
full-batch solvers; the same data as one numpy array is the peer, fitted in this
process (two BLAS threads). Reported, as medians of ``--repeats`` runs:

- one gradient evaluation: the numpy loss against the objective reduced over
  the chunk actors (coefficients out, values and gradients back);
- the streamed mode: one pass (a gradient evaluated by dask tasks over the same
  chunks, nothing pinned) against dask's own ``(X.T @ X).compute()`` over the
  same chunks, the engine's speed limit for one pass;
- time to a relative objective gap of 1e-6 (the smallest ``max_iter`` that
  reaches it, found as in ``bench_solvers.py``; a dask fit includes building the
  chunk losses on the workers), and its ratio to the numpy fit. The fits at the
  found budgets are then timed again, numpy and dask of every solver
  interleaved in each repeat; median and minimum of those repeats.

Usage::

    python benchmarks/bench_dask.py              # full W2, 8 chunks
    python benchmarks/bench_dask.py --scale 0.1 --repeats 1

``--write`` records ``benchmarks/results/dask.json`` and regenerates the dask
section of ``benchmarks/RESULTS.md``.
"""

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import environment, replace_section
from bench_solvers import Contender, Search, _ours, prepare, reference_optimum

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends._dask import build_problem
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SOLVERS = ("auto", "gd", "lbfgs", "newton-cg")
TARGET = 1e-6
METHOD = (
    "W2's training split (160,000 x 100, 10 classes) in row chunks, persisted "
    "on a `dask.distributed.LocalCluster` of two worker processes with one "
    "thread each, fitted by `SoftmaxClassifier(solver=..., alpha=1/n, tol=0)`; "
    "the peer is the same estimator on the numpy array in the client process "
    "(two BLAS threads, or `--numpy-threads`). Times to a relative gap of "
    "1e-6 (against a newton-cg "
    "optimum) use the smallest sufficient `max_iter` and include, for dask, "
    "building the chunk losses on the workers (validation, and a copy of "
    "blocks that arrive unaligned). newton-cg's Hessian row subsample is drawn "
    "chunk by chunk at the same rate as on one array."
)


class DaskContender(Contender):
    """Fits the persisted dask arrays, whatever numpy data it is handed."""

    def __init__(self, name, make, X_dask, y_dask):
        super().__init__(name, make)
        self.X_dask, self.y_dask = X_dask, y_dask

    def fit(self, max_iter, X, y, alpha):
        return super().fit(max_iter, self.X_dask, self.y_dask, alpha)


def gradient_times(data, X_dask, y_dask, alpha, repeats):
    import dask

    X = data["split"][0]
    K = data["n_classes"]
    local = LinearSoftmaxLoss(X, data["y_enc"], K, penalty=ElasticNet(alpha))
    start = time.perf_counter()
    chunked = build_problem(
        SoftmaxClassifier(alpha=alpha), X_dask, y_dask, None
    ).objective
    setup = time.perf_counter() - start
    with dask.config.set({"sk_softmax.memory": "streamed"}):
        streamed = build_problem(
            SoftmaxClassifier(alpha=alpha), X_dask, y_dask, None
        ).objective
    coef = local.pack(np.random.default_rng(0).normal(0, 0.1, (K, X.shape[1])))
    calls = {
        "numpy": lambda: local.value_gradient(coef),
        "dask": lambda: chunked.value_gradient(coef),
        "streamed": lambda: streamed.value_gradient(coef),
        "xtx": lambda: (X_dask.T @ X_dask).compute(),
    }
    times = interleaved(calls, repeats)
    result = {f"{name}_ms": 1e3 * t["median"] for name, t in times.items()}
    result.update({f"{name}_min_ms": 1e3 * t["min"] for name, t in times.items()})
    result["dask_setup_s"] = setup
    return result


def interleaved(calls, repeats):
    """Time each call `repeats` times, one of each per round, after a warm-up."""
    for call in calls.values():
        call()
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {
        name: {"median": float(np.median(t)), "min": float(np.min(t))}
        for name, t in times.items()
    }


def bench(args):
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    data = prepare("W2", args.scale)
    X, _, y, _ = data["split"]
    n = X.shape[0]
    alpha = 1.0 / n
    F_star = reference_optimum(data, alpha)
    rows = math.ceil(n / args.chunks)
    result = {"shape": list(X.shape), "chunks": args.chunks, "rows": []}
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        X_dask = da.from_array(X, chunks=(rows, X.shape[1])).persist()
        y_dask = da.from_array(y, chunks=rows).persist()
        wait([X_dask, y_dask])
        result["gradient"] = gradient_times(
            data, X_dask, y_dask, alpha, args.repeats * 5
        )
        result["worker_threads"] = sorted(
            {
                lib["num_threads"]
                for info in client.run(_blas_threads).values()
                for lib in info
            }
        )
        fits = {}
        for solver in SOLVERS:
            row = {"solver": solver}
            for where, contender in [
                ("numpy", Contender(solver, _ours(solver))),
                ("dask", DaskContender(solver, _ours(solver), X_dask, y_dask)),
            ]:
                search = Search(contender, data, F_star, alpha, 1, 120.0)
                k = search.smallest(TARGET)
                row[f"{where}_iter"] = k
                if k is not None:
                    fits[f"{solver} {where}"] = _fit_call(contender, k, data, alpha)
            result["rows"].append(row)
        times = interleaved(fits, args.repeats)
        for row in result["rows"]:
            for where in ("numpy", "dask"):
                t = times.get(f"{row['solver']} {where}")
                row[f"{where}_s"] = None if t is None else t["median"]
                row[f"{where}_min_s"] = None if t is None else t["min"]
            if row["numpy_s"] and row["dask_s"]:
                row["ratio"] = row["dask_s"] / row["numpy_s"]
                row["ratio_min"] = row["dask_min_s"] / row["numpy_min_s"]
    return result


def _fit_call(contender, k, data, alpha):
    X, _, y, _ = data["split"]
    return lambda: contender.fit(k, X, y, alpha)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [{"num_threads": lib["num_threads"]} for lib in threadpool_info()]


def to_markdown(result):
    g = result["gradient"]
    lines = [
        f"W2 {result['shape'][0]} x {result['shape'][1]} in {result['chunks']} "
        f"chunks; worker BLAS threads {result['worker_threads']}, numpy peer "
        f"BLAS threads {result.get('numpy_threads', 2)}.",
        "",
        f"One gradient (median / min of interleaved repeats): numpy "
        f"{g['numpy_ms']:.1f} / {g['numpy_min_ms']:.1f} ms, dask pinned "
        f"{g['dask_ms']:.1f} / {g['dask_min_ms']:.1f} ms "
        f"({g['dask_ms'] / g['numpy_ms']:.2f}x); building the chunk losses "
        f"{g['dask_setup_s']:.2f} s.",
        "",
        f"Streamed mode, one pass over the same persisted chunks: "
        f"{g['streamed_ms']:.1f} / {g['streamed_min_ms']:.1f} ms; dask's "
        f"`(X.T @ X).compute()` on them {g['xtx_ms']:.1f} / "
        f"{g['xtx_min_ms']:.1f} ms ({g['streamed_ms'] / g['xtx_ms']:.2f}x).",
        "",
        "| solver | numpy: iterations | numpy: s to 1e-6 (median / min) "
        "| dask: iterations | dask: s to 1e-6 (median / min) "
        "| dask / numpy (medians / mins) |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        ratio = row.get("ratio")
        lines.append(
            f"| {row['solver']} | {row['numpy_iter']} | {_pair(row, 'numpy')} | "
            f"{row['dask_iter']} | {_pair(row, 'dask')} | "
            + ("-" if ratio is None else f"{ratio:.2f}x / {row['ratio_min']:.2f}x")
            + " |"
        )
    return "\n".join(lines)


def _pair(row, where):
    if row[f"{where}_s"] is None:
        return "not reached"
    return f"{row[f'{where}_s']:.3f} / {row[f'{where}_min_s']:.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--numpy-threads",
        type=int,
        default=2,
        help="BLAS threads of the numpy peer (this process); the workers use 1",
    )
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--output", default=None, help="also write to this JSON")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(args.numpy_threads):
        warnings.simplefilter("ignore")
        result = bench(args)
    result["numpy_threads"] = args.numpy_threads
    result["env"] = environment()
    result["command"] = "python benchmarks/bench_dask.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    table = to_markdown(result)
    print(METHOD)
    print(table)
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=1))
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "dask.json").write_text(json.dumps(result, indent=1))
        body = f"Command: `{result['command']}`\n\n{table}"
        replace_section("dask", body, missing=f"## dask (`bench_dask.py`)\n\n{METHOD}")
    return result


if __name__ == "__main__":
    main()
