"""dask on one machine: the price of a distributed fit, against the numpy fit.

W2's training split is cut into ``--chunks`` row chunks, persisted on a
``LocalCluster`` of two single-threaded worker processes, and fitted with the
full-batch solvers; the same data as one numpy array is the peer, fitted in this
process (two BLAS threads). Reported, as medians of ``--repeats`` runs:

- one gradient evaluation: the numpy loss against the objective reduced over
  the chunk actors (coefficients out, values and gradients back);
- time to a relative objective gap of 1e-6 (the smallest ``max_iter`` that
  reaches it, found as in ``bench_solvers.py``; a dask fit includes building the
  chunk losses on the workers), and its ratio to the numpy fit.

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

from _report import environment, median_ms, replace_section
from bench_solvers import Contender, Search, _ours, prepare, reference_optimum

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends._dask import build_problem
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SOLVERS = ("auto", "lbfgs", "newton-cg")
TARGET = 1e-6
METHOD = (
    "W2's training split (160,000 x 100, 10 classes) in row chunks, persisted "
    "on a `dask.distributed.LocalCluster` of two worker processes with one "
    "thread each, fitted by `SoftmaxClassifier(solver=..., alpha=1/n, tol=0)`; "
    "the peer is the same estimator on the numpy array in the client process "
    "(two BLAS threads). Times to a relative gap of 1e-6 (against a newton-cg "
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
    X = data["split"][0]
    K = data["n_classes"]
    local = LinearSoftmaxLoss(X, data["y_enc"], K, penalty=ElasticNet(alpha))
    start = time.perf_counter()
    chunked = build_problem(
        SoftmaxClassifier(alpha=alpha), X_dask, y_dask, None
    ).objective
    setup = time.perf_counter() - start
    coef = local.pack(np.random.default_rng(0).normal(0, 0.1, (K, X.shape[1])))
    return {
        "numpy_ms": median_ms(lambda: local.value_gradient(coef), repeats),
        "dask_ms": median_ms(lambda: chunked.value_gradient(coef), repeats),
        "dask_setup_s": setup,
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
        for solver in SOLVERS:
            row = {"solver": solver}
            for where, contender in [
                ("numpy", Contender(solver, _ours(solver))),
                ("dask", DaskContender(solver, _ours(solver), X_dask, y_dask)),
            ]:
                search = Search(contender, data, F_star, alpha, args.repeats, 120.0)
                k = search.smallest(TARGET)
                row[f"{where}_iter"] = k
                row[f"{where}_s"] = None if k is None else search.median_time(k)
            if row["numpy_s"] and row["dask_s"]:
                row["ratio"] = row["dask_s"] / row["numpy_s"]
            result["rows"].append(row)
    return result


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [{"num_threads": lib["num_threads"]} for lib in threadpool_info()]


def to_markdown(result):
    g = result["gradient"]
    lines = [
        f"W2 {result['shape'][0]} x {result['shape'][1]} in {result['chunks']} "
        f"chunks; worker BLAS threads {result['worker_threads']}.",
        "",
        f"One gradient: numpy {g['numpy_ms']:.1f} ms, dask {g['dask_ms']:.1f} ms "
        f"({g['dask_ms'] / g['numpy_ms']:.2f}x); building the chunk losses "
        f"{g['dask_setup_s']:.2f} s.",
        "",
        "| solver | numpy: iterations | numpy: s to 1e-6 | dask: iterations "
        "| dask: s to 1e-6 | dask / numpy |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        ratio = row.get("ratio")
        lines.append(
            f"| {row['solver']} | {row['numpy_iter']} | {row['numpy_s']:.3f} | "
            f"{row['dask_iter']} | {row['dask_s']:.3f} | "
            f"{'-' if ratio is None else f'{ratio:.2f}x'} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--output", default=None, help="also write to this JSON")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = bench(args)
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
