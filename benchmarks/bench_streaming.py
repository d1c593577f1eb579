"""Online training: SoftmaxClassifier.partial_fit against scikit-learn and river.

W2's training split is streamed in a fixed order as chunks of ``--chunk`` rows,
each epoch replaying the same chunks through ``partial_fit(X_chunk, y_chunk,
classes=all_classes)`` of a fresh estimator per run; river's pure-Python
``SoftmaxRegression`` learns one row at a time (``learn_one``) from the first
``--river-samples`` rows only, once. ``METHOD`` below states the contenders and
the penalty mapping. Only the training calls are timed: samples per second over
epoch 1 and over all epochs, the median and the best of ``--repeats`` runs with
contenders interleaved, ratios to SGDClassifier and to
``MLPClassifier(hidden_layer_sizes=())`` from the same run. Held-out log-loss
comes from the first (seeded) run after every epoch, accuracy after the last.

Usage::

    python benchmarks/bench_streaming.py                  # full W2, 3 epochs
    python benchmarks/bench_streaming.py --scale 0.1 --repeats 1

``--write`` records ``benchmarks/results/streaming.json`` and regenerates the
streaming section of ``benchmarks/RESULTS.md`` (appending it if missing).
"""

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import environment, replace_section
from workloads import w2

from sk_softmax import SoftmaxClassifier

try:
    import river.linear_model
except ImportError:  # an optional peer
    river = None

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
PEER, RIVER = "SGDClassifier log_loss", "river SoftmaxRegression"
MLP = "MLPClassifier hidden_layer_sizes=()"
# MLPClassifier's mini-batch size with batch_size='auto' on chunks of >= 200 rows.
MLP_BATCH = 200
START, END = "<!-- streaming:start -->", "<!-- streaming:end -->"
METHOD = (
    "W2's training split is streamed in a fixed order as fixed-size chunks; every "
    "contender gets the same chunks through `partial_fit(X_chunk, y_chunk, "
    "classes=all_classes)`, epoch after epoch, a fresh estimator per run: "
    "`SoftmaxClassifier(solver='sgd' | 'adam', random_state=0)`, otherwise "
    "default; `SGDClassifier(loss='log_loss', random_state=0)` (one-vs-rest); "
    "`MLPClassifier(hidden_layer_sizes=(), random_state=0)` (no hidden layer: a "
    "linear softmax model, default solver adam with learning_rate_init=0.001, "
    "batches of 200, Glorot-uniform random start); "
    "river's pure-Python `SoftmaxRegression` (`learn_one`, default `SGD(0.01)`, "
    "no intercept) on the first rows of the stream, one epoch. Penalties: ours "
    "minimises mean cross-entropy + alpha/2 ||W||^2 and SGDClassifier, per binary "
    "problem, mean log-loss + alpha/2 ||w||^2, so the same alpha (both default "
    "1e-4) is the fair mapping; MLPClassifier divides its alpha/2 ||W||^2 by the "
    "mini-batch's size, so it gets `alpha * 200`; river gets `l2 = alpha` (its "
    "gradient adds `l2 * w`). Only the training calls are timed; throughput is "
    "the median (and the best) over repeats of full runs, contenders "
    "interleaved, and ratios to SGDClassifier and to MLPClassifier are of "
    "medians from the same run. Held-out log-loss and accuracy are on "
    "W2's test split; the reference is the full-batch "
    "`SoftmaxClassifier(alpha=1e-4)` optimum."
)


def contenders(alpha):
    ours = functools.partial(SoftmaxClassifier, alpha=alpha, random_state=0)
    return {
        "ours sgd": functools.partial(ours, solver="sgd"),
        "ours adam": functools.partial(ours, solver="adam"),
        PEER: functools.partial(
            SGDClassifier, loss="log_loss", alpha=alpha, random_state=0
        ),
        MLP: functools.partial(
            MLPClassifier,
            hidden_layer_sizes=(),
            alpha=alpha * MLP_BATCH,
            random_state=0,
        ),
    }


def scores(proba, y_test, classes):
    return {
        "log_loss": float(log_loss(y_test, proba, labels=classes)),
        "accuracy": float(accuracy_score(y_test, classes[np.argmax(proba, axis=1)])),
    }


def run_stream(make, chunks, classes, epochs, test):
    """Seconds of partial_fit per epoch; test scores after every epoch."""
    model, seconds, after = make(), [], {}
    for epoch in range(1, epochs + 1):
        seconds.append(0.0)
        for X_chunk, y_chunk in chunks:
            start = time.perf_counter()
            model.partial_fit(X_chunk, y_chunk, classes=classes)
            seconds[-1] += time.perf_counter() - start
        if test is not None:
            after[str(epoch)] = scores(model.predict_proba(test[0]), test[1], classes)
    return seconds, after


def run_river(rows, labels, alpha, classes, test):
    model = river.linear_model.SoftmaxRegression(l2=alpha)
    start = time.perf_counter()
    for x, label in zip(rows, labels, strict=True):
        model.learn_one(x, label)
    seconds = time.perf_counter() - start
    if test is None:
        return [seconds], {}
    # A class river has not seen yet gets probability 0.
    probas = map(model.predict_proba_one, test[0])
    proba = np.array([[p.get(c, 0.0) for c in classes.tolist()] for p in probas])
    return [seconds], {"1": scores(proba, test[1], classes)}


def bench(args):
    X, X_test, y, y_test = w2(args.scale)
    classes, n, epochs = np.unique(y), len(y), args.epochs
    starts = range(0, n, args.chunk)
    chunks = [(X[i : i + args.chunk], y[i : i + args.chunk]) for i in starts]
    print(f"W2 streamed: {n} x {X.shape[1]}, {len(classes)} classes, ", end="")
    print(f"{len(chunks)} chunks of <= {args.chunk} rows, {epochs} epochs", flush=True)
    runs, tests = {}, {}
    for name, make in contenders(args.alpha).items():
        make().partial_fit(*chunks[0], classes=classes)  # untimed first use
        runs[name] = n, functools.partial(run_stream, make, chunks, classes, epochs)
        tests[name] = X_test, y_test
    if river is not None:
        m = min(args.river_samples, n)
        rows = [dict(enumerate(r)) for r in X[:m].tolist()]
        runs[RIVER] = (
            m,
            functools.partial(run_river, rows, y[:m].tolist(), args.alpha, classes),
        )
        tests[RIVER] = [dict(enumerate(r)) for r in X_test.tolist()], y_test
    times, after = {name: [] for name in runs}, {}
    for repeat in range(args.repeats):
        for name, (_, run) in runs.items():
            seconds, scored = run(None if repeat else tests[name])
            times[name].append(seconds)
            after.setdefault(name, scored)
    rows = []
    for name, (samples, _) in runs.items():
        t = np.array(times[name])
        all_sps = samples * epochs / np.median(t.sum(axis=1))
        best_sps = samples * epochs / np.min(t.sum(axis=1))
        rows.append(
            {
                "contender": name,
                "samples": samples,
                "epoch1_sps": float(samples / np.median(t[:, 0])),
                "all_sps": None if name == RIVER else float(all_sps),
                "all_sps_best": None if name == RIVER else float(best_sps),
                "after": after[name],
                "seconds": t.tolist(),
            }
        )
    peer = next(r for r in rows if r["contender"] == PEER)
    mlp = next(r for r in rows if r["contender"] == MLP)
    for r in rows:
        r["ratio_epoch1"] = r["epoch1_sps"] / peer["epoch1_sps"]
        r["ratio_all"] = r["all_sps"] and r["all_sps"] / peer["all_sps"]
        r["ratio_mlp_all"] = r["all_sps"] and r["all_sps"] / mlp["all_sps"]
    ref = SoftmaxClassifier(alpha=args.alpha, tol=1e-8, max_iter=1000, random_state=0)
    ref.fit(X, y)
    return {
        "workload": "W2",
        "shape": list(X.shape),
        "n_classes": len(classes),
        **{k: vars(args)[k] for k in ("chunk", "epochs", "repeats", "alpha")},
        "river": river and river.__version__,
        "reference": scores(ref.predict_proba(X_test), y_test, classes),
        "rows": rows,
    }


def _f(value, spec):
    return "-" if value is None else format(value, spec)


def to_markdown(result):
    e = result["epochs"]
    cols = ["contender", "samples/s epoch 1", f"samples/s epochs 1-{e}"]
    cols += [f"best samples/s epochs 1-{e}", "x SGDClassifier", "x MLPClassifier"]
    cols += [f"test log-loss epoch {k}" for k in range(1, e + 1)]
    cols += [f"accuracy epoch {e}"]
    out = ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for r in result["rows"]:
        name = r["contender"]
        if name == RIVER:
            name += f" (first {r['samples']} rows, 1 epoch)"
        cells = [name, _f(r["epoch1_sps"], ",.0f"), _f(r["all_sps"], ",.0f")]
        cells += [_f(r.get("all_sps_best"), ",.0f")]
        cells += [_f(r["ratio_all"], ".2f"), _f(r.get("ratio_mlp_all"), ".2f")]
        for epoch in range(1, e + 1):
            cells += [_f(r["after"].get(str(epoch), {}).get("log_loss"), ".4f")]
        cells += [_f(r["after"].get(str(e), {}).get("accuracy"), ".4f")]
        out.append("| " + " | ".join(cells) + " |")
    ref = result["reference"]
    out.append(
        f"\n- reference optimum, full-batch SoftmaxClassifier(alpha="
        f"{result['alpha']:g}): test log-loss {ref['log_loss']:.4f}, "
        f"accuracy {ref['accuracy']:.4f}"
    )
    for r in result["rows"]:
        last = r["after"].get(str(e)) or r["after"].get("1")
        gap = last["log_loss"] / ref["log_loss"] - 1
        out.append(f"- {r['contender']}: last log-loss {100 * gap:+.2f}% of it")
    if result["river"] is None:
        out.append("- river is not importable: its row is skipped")
    return "\n".join(out)


def write_results_md(result):
    """Regenerate the streaming section of RESULTS.md, appending it if missing."""
    shape = "x".join(map(str, result["shape"]))
    body = (
        f"### W2 streamed ({shape}, {result['n_classes']} classes, chunks of "
        f"{result['chunk']} rows)\n\nCommand: `{result['command']}`\n\n"
        f"{to_markdown(result)}\n\nEnvironment:\n\n```\n"
        f"{json.dumps(result['env'], indent=1)}\n```"
    )
    title = "## Streaming: online training (`bench_streaming.py`)"
    replace_section("streaming", body, missing=f"{title}\n\n{METHOD}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--chunk", type=int, default=1000, help="rows per call")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--river-samples", type=int, default=20_000)
    parser.add_argument(
        "--write",
        action="store_true",
        help="record in results/streaming.json and regenerate RESULTS.md",
    )
    parser.add_argument("--output", default=None, help="also write to this JSON")
    args = parser.parse_args(argv)
    env = environment()
    print(json.dumps(env, indent=1))
    print(METHOD)
    if river is None:
        print("river is not importable: skipping its SoftmaxRegression")
    result = bench(args)
    argv = sys.argv[1:] if argv is None else argv
    result["env"] = env
    result["command"] = " ".join(["python benchmarks/bench_streaming.py", *argv])
    print(to_markdown(result))
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=1))
    if args.write:
        (RESULTS_DIR / "streaming.json").write_text(json.dumps(result, indent=1))
        write_results_md(result)
    return result


if __name__ == "__main__":
    main()
