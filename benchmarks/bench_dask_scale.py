"""dask at scale: n million rows x 100 float32 features read lazily from .npy files.

For each ``--millions`` size, the rows are drawn from a 10-class softmax model
and written once as float32 ``.npy`` blocks under ``--dir`` (kept for later
runs), read lazily by dask (``da.from_delayed(np.load)``) on a fresh
``LocalCluster`` of ``--workers`` single-threaded worker processes. Each size
runs in two phases, and each worker's peak resident memory (``VmHWM``, reset
through ``/proc/self/clear_refs`` when a phase begins) is read at the phase's
end:

- **pinned**: the chunk losses built on the workers, one gradient timed over
  ``--repeats`` repeats (median and minimum); then
  ``SoftmaxClassifier(solver="lbfgs", alpha=1/n, tol=1e-9)`` fitted once, the
  time at the end of every iteration taken by a scikit-learn callback. ``F*``
  is the lowest objective of that run (it goes on far past the target, to its
  tolerance, ``--max-iter`` or until the float32 objective stops decreasing),
  and the time to a relative gap of 1e-6 is the callback's time at the first
  iteration within 1e-6 of ``F*`` -- reading the files and building the chunk
  losses included. A second, shorter fit would measure the same thing again;
  this costs one fit per size instead of three (the earlier version of this
  script took ``F*`` from a newton-cg fit and timed a second lbfgs fit).
- **streamed**: one pass (a gradient computed by dask tasks that read the
  blocks from disk again) alone, for the phase's peak memory; then passes
  against passes of dask's ``(X.T @ X).compute()`` over the same blocks, the
  engine's own speed limit, interleaved, median and minimum.

With ``--mode streamed`` the lbfgs fit runs in the streamed mode too (for data
the workers cannot hold); the pinned gradient is then not measured.

Usage::

    python benchmarks/bench_dask_scale.py --millions 1 4 --dir /tmp/scale
    python benchmarks/bench_dask_scale.py --millions 1 4 16 --write
"""

import argparse
import json
import os
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


def _memory_mib():
    """This worker's resident memory and its peak since the last reset (MiB)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields


def _reset_peak():
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def _peaks(client):
    return sorted(m["VmHWM"] for m in client.run(_memory_mib).values())


class Timestamps:
    """A scikit-learn fit callback: the time at the end of every iteration."""

    def __init__(self):
        self.times = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, y=None):
        if context.task_name == "iteration":
            self.times.append(time.perf_counter())
        return False


def time_to_target(X, y, alpha, max_iter):
    """One lbfgs fit: iterations and seconds to 1e-6 of its lowest objective."""
    stamps = Timestamps()
    model = SoftmaxClassifier(solver="lbfgs", alpha=alpha, tol=1e-9, max_iter=max_iter)
    model.set_callbacks(stamps)
    start = time.perf_counter()
    model.fit(X, y)
    total = time.perf_counter() - start
    curve = np.asarray(model.loss_curve_)
    assert len(curve) == len(stamps.times), (len(curve), len(stamps.times))
    gaps = (curve - curve.min()) / abs(curve.min())
    k = int(np.flatnonzero(gaps <= TARGET)[0])
    return {
        "lbfgs_iter": k + 1,
        "lbfgs_s": stamps.times[k] - start,
        "lbfgs_run_iter": len(curve),
        "lbfgs_run_s": total,
        "lbfgs_run_converged": bool(model.converged_),
    }


def interleaved(calls, repeats):
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return times


def pinned_phase(client, X, y, alpha, args, row):
    import dask

    client.run(_reset_peak)
    with dask.config.set({"sk_softmax.memory": args.mode}):
        if args.mode == "pinned":
            pinned = build_problem(SoftmaxClassifier(alpha=alpha), X, y, None)
            coef = np.zeros(pinned.objective.data.layout.n_dof, dtype=np.float32)
            gradient = pinned.objective.value_gradient
            times = interleaved({"g": lambda: gradient(coef)}, args.repeats)["g"]
            row["pinned_gradient_s"] = float(np.median(times))
            row["pinned_gradient_min_s"] = float(np.min(times))
            pinned.release()  # as fit does: the actors go now, not at a gc
            del pinned, gradient
        row.update(time_to_target(X, y, alpha, args.max_iter))
    row["peak_fit_mib"] = _peaks(client)


def streamed_phase(client, X, y, alpha, args, row):
    import dask

    client.run(_reset_peak)
    with dask.config.set({"sk_softmax.memory": "streamed"}):
        streamed = build_problem(SoftmaxClassifier(alpha=alpha), X, y, None)
    coef = np.zeros(streamed.objective.data.layout.n_dof, dtype=np.float32)
    streamed.objective.value_gradient(coef)  # the peak of a streamed pass alone
    row["peak_streamed_mib"] = _peaks(client)
    times = interleaved(
        {
            "streamed": lambda: streamed.objective.value_gradient(coef),
            "gram": lambda: dask.compute(X.T @ X),
        },
        args.repeats,
    )
    for name, t in times.items():
        row[f"{name}_pass_s"] = float(np.median(t))
        row[f"{name}_pass_min_s"] = float(np.min(t))


def one_size(millions, args):
    from distributed import Client, LocalCluster

    from sk_softmax._backends._dask_pools import memory_mode

    n = int(millions * 1_000_000)
    paths = write_blocks(Path(args.dir) / f"{millions}M", n, args.block_rows)
    alpha = 1.0 / n
    row = {"millions": millions, "rows": n, "blocks": len(paths), "mode": args.mode}
    row["lbfgs_max_iter"] = args.max_iter
    row["data_per_worker_mib"] = n * (4 * FEATURES + 1) / args.workers / 2**20
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("sk_softmax._backends._dask_chunks"))
        row["baseline_mib"] = _peaks(client)
        X, y = lazy(paths)
        row["memory_mode_auto"] = memory_mode(client, (X, y, None))
        row["load_before"] = os.getloadavg()
        pinned_phase(client, X, y, alpha, args, row)
        streamed_phase(client, X, y, alpha, args, row)
        row["load_after"] = os.getloadavg()
    print(json.dumps(row), flush=True)
    return row


def _mib(values):
    return ", ".join(f"{v:.0f}" for v in values)


def to_markdown(result):
    lines = [
        f"{result['workers']} single-threaded workers, {FEATURES} float32 "
        f"features, {CLASSES} classes, blocks of {result['block_rows']} rows "
        "read with `np.load` by dask tasks. Peak memory: each worker's VmHWM "
        "over the pinned phase (building, gradients, the lbfgs fit) and over one "
        "streamed pass, and its baseline (libraries imported, no data).",
        "",
        "| rows | fit mode (auto's choice) | data per worker MiB "
        "| pinned gradient s (median / min) | lbfgs iterations to 1e-6 "
        "| lbfgs s to 1e-6 | whole lbfgs run: iterations (max_iter), s "
        "| peak per worker in the fit MiB "
        "| streamed pass s (median / min) | dask X.T @ X pass s (median / min) "
        "| peak per worker streamed MiB | baseline MiB | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        pinned = (
            f"{r['pinned_gradient_s']:.3f} / {r['pinned_gradient_min_s']:.3f}"
            if "pinned_gradient_s" in r
            else "--"
        )
        lines.append(
            f"| {r['millions']:g}M | {r['mode']} ({r['memory_mode_auto']}) "
            f"| {r['data_per_worker_mib']:.0f} | {pinned} | {r['lbfgs_iter']} "
            f"| {r['lbfgs_s']:.1f} "
            f"| {r['lbfgs_run_iter']} ({r.get('lbfgs_max_iter', '?')}), "
            f"{r['lbfgs_run_s']:.0f} | {_mib(r['peak_fit_mib'])} "
            f"| {r['streamed_pass_s']:.3f} / {r['streamed_pass_min_s']:.3f} "
            f"| {r['gram_pass_s']:.3f} / {r['gram_pass_min_s']:.3f} "
            f"| {_mib(r['peak_streamed_mib'])} | {_mib(r['baseline_mib'])} "
            f"| {r['load_before'][0]:.2f} -> {r['load_after'][0]:.2f} |"
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
    parser.add_argument("--mode", choices=["pinned", "streamed"], default="pinned")
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
