"""dask at scale: n million rows x 100 float32 features read lazily from .npy files.

For each ``--millions`` size, the rows are drawn from a 10-class softmax model
and written once as float32 ``.npy`` blocks under ``--dir`` (kept for later
runs), read lazily by dask (``da.from_delayed(np.load)``) on a fresh
``LocalCluster`` of ``--workers`` single-threaded worker processes, and fitted
by ``SoftmaxClassifier(solver="lbfgs", alpha=1/n, tol=0)``. Reported per size:

- one gradient in the pinned mode (chunk losses on the workers, after they
  were built) and one streamed pass (the blocks read from disk again), as the
  median and minimum of interleaved repeats;
- time to a relative objective gap of 1e-6: the optimum ``F*`` comes from a
  newton-cg fit to ``tol=1e-8``; an lbfgs fit to ``tol=1e-9`` gives the
  first iteration ``k`` whose objective is within 1e-6 of ``F*``; the time is
  that of a fresh lbfgs fit with ``max_iter=k`` (reading the files and
  building the chunk losses included);
- the peak resident memory of each worker process (``ru_maxrss``) over the
  size's whole run.

Usage::

    python benchmarks/bench_dask_scale.py --millions 1 4 --dir /tmp/scale
    python benchmarks/bench_dask_scale.py --millions 1 4 16 --write
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import environment, replace_section

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends._dask import build_problem

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FEATURES, CLASSES, TARGET = 100, 10, 1e-6


def write_blocks(directory, n_rows, block_rows):
    """Write the data's blocks (float32 X, int8 y) unless they are there."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.3, size=(CLASSES, FEATURES)).astype(np.float32)
    paths = []
    for i, start in enumerate(range(0, n_rows, block_rows)):
        rows = min(block_rows, n_rows - start)
        path_X, path_y = directory / f"X{i}.npy", directory / f"y{i}.npy"
        if not (path_X.exists() and path_y.exists()):
            block = np.random.default_rng([0, i])
            X = block.standard_normal((rows, FEATURES), dtype=np.float32)
            logits = X @ W.T
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
            y = (block.random((rows, 1)) > cumulative).sum(axis=1)
            np.save(path_X, X)
            np.save(path_y, np.minimum(y, CLASSES - 1).astype(np.int8))
        paths.append((path_X, path_y, rows))
    return paths


def lazy(paths):
    import dask
    import dask.array as da

    load = dask.delayed(np.load, pure=True)
    X = da.concatenate(
        [
            da.from_delayed(load(str(p)), (rows, FEATURES), np.float32)
            for p, _, rows in paths
        ]
    )
    y = da.concatenate(
        [da.from_delayed(load(str(p)), (rows,), np.int8) for _, p, rows in paths]
    )
    return X, y


def _peak_rss_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fit(solver, max_iter, tol, alpha, X, y):
    model = SoftmaxClassifier(solver=solver, alpha=alpha, tol=tol, max_iter=max_iter)
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start, model


def one_size(millions, args):
    import dask
    from distributed import Client, LocalCluster

    n = int(millions * 1_000_000)
    paths = write_blocks(Path(args.dir) / f"{millions}M", n, args.block_rows)
    alpha = 1.0 / n
    row = {"millions": millions, "rows": n, "blocks": len(paths)}
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        X, y = lazy(paths)
        auto = build_problem(SoftmaxClassifier(alpha=alpha), X, y, None)
        row["memory_mode_auto"] = type(auto.objective.data.chunks).__name__
        del auto
        pinned = build_problem(SoftmaxClassifier(alpha=alpha), X, y, None).objective
        with dask.config.set({"sk_softmax.memory": "streamed"}):
            streamed = build_problem(
                SoftmaxClassifier(alpha=alpha), X, y, None
            ).objective
        coef = np.zeros(pinned.data.layout.n_dof, dtype=np.float32)
        times = {"pinned": [], "streamed": []}
        for _ in range(args.repeats):
            for name, objective in [("pinned", pinned), ("streamed", streamed)]:
                start = time.perf_counter()
                objective.value_gradient(coef)
                times[name].append(time.perf_counter() - start)
        for name, t in times.items():
            row[f"{name}_gradient_s"] = float(np.median(t))
            row[f"{name}_gradient_min_s"] = float(np.min(t))
        del pinned, streamed
        _, reference = _fit("newton-cg", 50, 1e-8, alpha, X, y)
        F_star = min(reference.loss_curve_)
        _, long_run = _fit("lbfgs", args.max_iter, 1e-9, alpha, X, y)
        gaps = (np.asarray(long_run.loss_curve_) - F_star) / abs(F_star)
        reached = np.flatnonzero(gaps <= TARGET)
        row["lbfgs_iter"] = int(reached[0]) + 1 if len(reached) else None
        if row["lbfgs_iter"]:
            row["lbfgs_s"] = _fit("lbfgs", row["lbfgs_iter"], 0, alpha, X, y)[0]
        row["peak_worker_mib"] = sorted(client.run(_peak_rss_mib).values())
    return row


def to_markdown(result):
    lines = [
        f"{result['workers']} single-threaded workers, {FEATURES} float32 "
        f"features, {CLASSES} classes, blocks of {result['block_rows']} rows "
        "read with `np.load` by dask tasks.",
        "",
        "| rows | blocks | auto mode | pinned gradient s (median / min) "
        "| streamed pass s (median / min) | lbfgs iterations to 1e-6 "
        "| lbfgs s to 1e-6 | peak RSS per worker (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['millions']}M | {r['blocks']} | {r['memory_mode_auto']} | "
            f"{r['pinned_gradient_s']:.3f} / {r['pinned_gradient_min_s']:.3f} | "
            f"{r['streamed_gradient_s']:.3f} / {r['streamed_gradient_min_s']:.3f} | "
            f"{r['lbfgs_iter']} | "
            + (f"{r['lbfgs_s']:.1f}" if r.get("lbfgs_s") else "not reached")
            + f" | {', '.join(f'{m:.0f}' for m in r['peak_worker_mib'])} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--millions", type=float, nargs="+", default=[1, 4, 16])
    parser.add_argument("--dir", default="/tmp/sk_softmax_scale")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--block-rows", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    result = {"workers": args.workers, "block_rows": args.block_rows, "rows": []}
    for millions in args.millions:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result["rows"].append(one_size(millions, args))
        print(to_markdown(result), flush=True)
    result["env"] = environment()
    result["command"] = "python benchmarks/bench_dask_scale.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "dask_scale.json").write_text(json.dumps(result, indent=1))
        body = f"Command: `{result['command']}`\n\n{to_markdown(result)}"
        replace_section(
            "dask-scale", body, missing="## dask at scale (`bench_dask_scale.py`)"
        )
    return result


if __name__ == "__main__":
    main()
