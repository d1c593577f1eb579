"""Model selection: SoftmaxClassifierCV against GridSearchCV and LogisticRegressionCV.

Every contender searches the same grid on the same splits of the training
part: 5 stratified splits, 10 values of ``C`` from 1e-3 to 1e2 (``alpha =
1 / (C * n_train)`` with ``n_train`` the mean training size of a split), the
negative log-loss as the score, and a refit on the whole training part. On
digits (W1) and on W2 at a quarter of its size (40,000 x 100, 10 classes)::

    GridSearchCV(LogisticRegression)    every split, every C, from scratch
    LogisticRegressionCV                a warm-started path per split
    GridSearchCV(SoftmaxClassifier)     every split, every alpha, from scratch
    SoftmaxClassifierCV                 a warm-started path per split

``LogisticRegression`` contenders are also timed with scipy's own BLAS pool
held to one thread (it slows L-BFGS-B down on this kind of machine, see
``bench_solvers.py``). With ``--l1``, an L1 path on digits over ten penalties
from the L1 ``alpha_max`` down to 1e-2 of it: ``SoftmaxClassifierCV`` against
``LogisticRegressionCV(solver='saga', l1_ratios=[1.0])`` and python-glmnet's
``LogitNet`` (installed with pip unless ``--no-install``; skipped with the
reason when it does not install). Only ``fit`` is timed, contenders
interleaved in each repeat; the median and the minimum over the repeats are
reported, and ratios are of ``SoftmaxClassifierCV``'s time to each peer's in
the same run.

Usage::

    python benchmarks/bench_cv.py --l1            # both workloads, the L1 path
    python benchmarks/bench_cv.py --workloads W1 --repeats 1
    python benchmarks/bench_cv.py --l1 --threads 1  # every thread pool at 1

``--write`` records ``benchmarks/results/cv.json`` and regenerates the
model-selection section of ``benchmarks/RESULTS.md`` (appending it if missing).
"""

import argparse
import importlib
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import environment, replace_section
from workloads import w1, w2

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV, softmax
from sk_softmax._optim._threads import single_threaded_scipy_blas
from sk_softmax._path import alpha_max
from sk_softmax._path_data import PathData

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
OURS = "SoftmaxClassifierCV"
WORKLOADS = {
    "W1": ("digits 1437x64, 10 classes", lambda: w1()),
    "W2q": ("W2 at 1/4: 40000x100, 10 classes", lambda: w2(0.25)),
}
METHOD = (
    "Every contender searches the same grid on the same 5 stratified splits of "
    "the training part, with the negative log-loss and a refit on the whole "
    "training part: 10 values of `C` from 1e-3 to 1e2 for `LogisticRegression` "
    "(lbfgs, `max_iter=1000`) and `alpha = 1 / (C * n_train)` for "
    "`SoftmaxClassifier` (default solver, `max_iter=1000`), `n_train` the mean "
    "training size of a split (the splits differ by at most one row, so the "
    "penalty per split by less than 0.1%); `tol=1e-4` everywhere. "
    "`GridSearchCV` fits every split at every value from scratch; "
    "`LogisticRegressionCV` and `SoftmaxClassifierCV` fit one warm-started "
    "path per split. The L1 rows search ten penalties from the L1 `alpha_max` "
    "of digits down to 1e-2 of it, `LogisticRegressionCV(solver='saga', "
    "l1_ratios=[1.0])` at the matching `C` and python-glmnet's `LogitNet` on "
    "the same penalties (its `lambda` is our `alpha`) and the same splits "
    "(passed as groups). Only `fit` is timed; contenders are interleaved in "
    "each repeat and the median and minimum over repeats are reported, ratios "
    "of `SoftmaxClassifierCV`'s time to each peer's from the same run. The "
    "choice is the index of the chosen value in the grid (0 = strongest "
    "penalty); held-out scores are of the refitted model on the workload's "
    "test split."
)


def load_glmnet(install):
    """Import python-glmnet, installing it with pip first if asked; or a reason."""
    try:
        return importlib.import_module("glmnet"), None
    except ImportError as exc:
        reason = f"python-glmnet is not importable ({exc})"
    if not install:
        return None, reason + "; not installed (--no-install)"
    print("installing python-glmnet with pip ...", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "python-glmnet"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return None, f"pip install python-glmnet failed: {done.stderr.strip()[-300:]}"
    importlib.invalidate_caches()
    try:
        return importlib.import_module("glmnet"), None
    except ImportError as exc:  # built but broken
        return None, f"python-glmnet installed but does not import ({exc})"


def l2_contenders(Cs, alphas, splits, max_iter):
    """Name -> (make the fitted search, index of its choice in the grid)."""
    search = {"cv": splits, "scoring": "neg_log_loss"}

    def lr_grid():
        lr = LogisticRegression(max_iter=max_iter)
        return GridSearchCV(lr, {"C": Cs}, **search), _grid_choice("C", Cs)

    def lr_cv():
        cv = LogisticRegressionCV(
            Cs=Cs,
            l1_ratios=[0.0],
            max_iter=max_iter,
            use_legacy_attributes=False,
            **search,
        )
        return cv, lambda m: _nearest(Cs, m.C_)

    def ours_grid():
        model = SoftmaxClassifier(max_iter=max_iter)
        grid = GridSearchCV(model, {"alpha": alphas}, **search)
        return grid, _grid_choice("alpha", alphas)

    def ours():
        cv = SoftmaxClassifierCV(alphas=alphas, cv=splits, max_iter=max_iter)
        return cv, _alpha_choice(alphas)

    return {
        "GridSearchCV(LogisticRegression)": (lr_grid, False),
        "GridSearchCV(LogisticRegression), scipy BLAS 1 thread": (lr_grid, True),
        "LogisticRegressionCV": (lr_cv, False),
        "LogisticRegressionCV, scipy BLAS 1 thread": (lr_cv, True),
        "GridSearchCV(SoftmaxClassifier)": (ours_grid, False),
        OURS: (ours, False),
    }


def l1_contenders(alphas, n_train, splits, glmnet, max_iter):
    """The L1 path: ours, LogisticRegressionCV with saga, glmnet's LogitNet."""
    Cs = 1.0 / (alphas * n_train)

    def lr_saga():
        cv = LogisticRegressionCV(
            Cs=Cs,
            l1_ratios=[1.0],
            solver="saga",
            cv=splits,
            scoring="neg_log_loss",
            max_iter=max_iter,
            use_legacy_attributes=False,
        )
        return cv, lambda m: _nearest(Cs, m.C_)

    def ours():
        cv = SoftmaxClassifierCV(
            alphas=alphas, l1_ratios=[1.0], cv=splits, max_iter=max_iter
        )
        return cv, _alpha_choice(alphas)

    makers = {
        "LogisticRegressionCV(saga, L1)": (lr_saga, False),
        f"{OURS}(L1)": (ours, False),
    }
    if glmnet is not None:

        def logit_net():
            net = glmnet.LogitNet(
                alpha=1.0,
                lambda_path=alphas,
                standardize=False,
                n_splits=len(splits),
                scoring="log_loss",
            )
            return net, lambda m: _nearest(alphas, m.lambda_max_)

        makers["glmnet LogitNet (L1)"] = (logit_net, False)
    return makers


def _nearest(grid, value):
    """Index of the grid value nearest to `value` (on a log scale)."""
    return int(np.argmin(np.abs(np.log(grid) - np.log(float(np.squeeze(value))))))


def _grid_choice(name, grid):
    return lambda m: _nearest(grid, m.best_params_[name])


def _alpha_choice(alphas):
    return lambda m: _nearest(alphas, m.alpha_)


def _timed_fit(model, X, y, fit_params, one_thread):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        start = time.perf_counter()
        if one_thread:
            with single_threaded_scipy_blas():
                model.fit(X, y, **fit_params)
        else:
            model.fit(X, y, **fit_params)
        return time.perf_counter() - start


def run(makers, X, y, fit_params, test, repeats):
    """Interleaved timed fits; the choice and held-out scores of the first.

    A peer whose fit raises is reported with the error and not run again.
    """
    times, first, failed = {name: [] for name in makers}, {}, {}
    for repeat in range(repeats):
        names = list(makers)
        names = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in (n for n in names if n not in failed):
            make, one_thread = makers[name]
            model, choice = make()
            try:
                seconds = _timed_fit(model, X, y, fit_params.get(name, {}), one_thread)
            except Exception as exc:
                if name.startswith(OURS):
                    raise
                failed[name] = f"{type(exc).__name__}: {exc}"[:300]
                print(f"  {name} failed: {failed[name]}", flush=True)
                continue
            times[name].append(seconds)
            if name not in first:
                first[name] = _record(model, choice(model), test)
            print(f"  {name}: {seconds:.3f} s", flush=True)
    rows = []
    for name in makers:
        if name in failed:
            rows.append({"contender": name, "error": failed[name]})
            continue
        row = {"contender": name, "times": times[name], **first[name]}
        row["median_s"] = float(np.median(times[name]))
        row["min_s"] = float(np.min(times[name]))
        rows.append(row)
    return _add_ratios(rows)


def _probabilities(model, X_test):
    """The model's probabilities; for glmnet the SoftMax of its logits.

    python-glmnet's multinomial ``predict_proba`` normalises per-class
    sigmoids instead of taking the SoftMax of the logits, which is not the
    fitted model's probability; and its default model is the one-standard-
    error choice (``lambda_best_``), so the best one (``lambda_max_``), which
    the other contenders refit, is asked for explicitly.
    """
    if type(model).__module__.startswith("glmnet"):
        logits = model.decision_function(X_test, lamb=model.lambda_max_)
        return softmax(np.asarray(logits), axis=1)
    return np.squeeze(model.predict_proba(X_test))


def _record(model, choice, test):
    X_test, y_test = test
    proba = _probabilities(model, X_test)
    classes = np.unique(y_test)
    return {
        "choice": choice,
        "test_log_loss": float(log_loss(y_test, proba, labels=classes)),
        "test_accuracy": float(accuracy_score(y_test, classes[proba.argmax(1)])),
    }


def _add_ratios(rows):
    ours = next(r for r in rows if r["contender"].startswith(OURS))
    for row in (r for r in rows if "error" not in r):
        row["ours_over_median"] = ours["median_s"] / row["median_s"]
        row["ours_over_min"] = ours["min_s"] / row["min_s"]
    return rows


def _training(load, args):
    """The workload, its training part cut to `args.scale` (smoke runs)."""
    X, X_test, y, y_test = load()
    if args.scale < 1.0:
        n = max(int(len(y) * args.scale), 50 * args.folds)
        X, y = X[:n], y[:n]
    splits = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y)
    return X, y, (X_test, y_test), list(splits)


def bench_workload(key, args):
    title, load = WORKLOADS[key]
    X, y, test, splits = _training(load, args)
    n_train = float(np.mean([len(train) for train, _ in splits]))
    Cs = np.logspace(-3, 2, args.n_cs)
    alphas = 1.0 / (Cs * n_train)
    print(f"{key}: {title}, {len(y)} training rows, {args.folds} splits", flush=True)
    makers = l2_contenders(Cs, alphas, splits, args.max_iter)
    makers = {k: v for k, v in makers.items() if _wanted(k, args.contenders)}
    if args.threads is not None:  # every pool is held already: no variants
        makers = {k: v for k, v in makers.items() if not v[1]}
    rows = run(makers, X, y, {}, test, args.repeats)
    return {"workload": key, "title": title, "shape": list(X.shape), "rows": rows}


def bench_l1(args, glmnet):
    X, y, test, splits = _training(w1, args)
    n_train = float(np.mean([len(train) for train, _ in splits]))
    top = alpha_max(PathData(X, y, None, None, True), 1.0)
    alphas = np.geomspace(top, 1e-2 * top, args.n_cs)
    print(f"L1 on W1: alphas {alphas[0]:.3g} to {alphas[-1]:.3g}", flush=True)
    groups = np.empty(len(y), dtype=int)
    for k, (_, held_out) in enumerate(splits):
        groups[held_out] = k
    makers = l1_contenders(alphas, n_train, splits, glmnet, args.max_iter)
    fit_params = {"glmnet LogitNet (L1)": {"groups": groups}}
    rows = run(makers, X, y, fit_params, test, args.repeats)
    return {"workload": "W1 L1", "title": "digits, L1 path", "rows": rows}


def _wanted(name, selected):
    return not selected or name in selected or name == OURS


def to_markdown(result):
    cols = ["contender", "median s", "min s", "ours / this (median)"]
    cols += ["ours / this (min)", "choice", "test log-loss", "test accuracy"]
    out = [f"#### {result['title']}", ""]
    out += ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for r in result["rows"]:
        if "error" in r:
            out.append(f"| {r['contender']} | failed: {r['error']} |" + " |" * 6)
            continue
        cells = [r["contender"], f"{r['median_s']:.3f}", f"{r['min_s']:.3f}"]
        cells += [f"{r['ours_over_median']:.2f}", f"{r['ours_over_min']:.2f}"]
        cells += [str(r["choice"]), f"{r['test_log_loss']:.4f}"]
        cells += [f"{r['test_accuracy']:.4f}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def write_results_md(report):
    body = [f"Command: `{report['command']}`", ""]
    if report.get("threads") is not None:
        body += [
            f"Every BLAS and OpenMP thread pool held to {report['threads']} "
            "thread(s) for the whole run (`--threads`).",
            "",
        ]
    body += [to_markdown(result) + "\n" for result in report["results"]]
    if report.get("glmnet_skipped"):
        body.append(f"- glmnet skipped: {report['glmnet_skipped']}")
    body.append(f"\nEnvironment:\n\n```\n{json.dumps(report['env'], indent=1)}\n```")
    title = "## Model selection: paths against grid search (`bench_cv.py`)"
    replace_section("cv", "\n".join(body), missing=f"{title}\n\n{METHOD}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-cs", type=int, default=10, help="size of the grid")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink (smoke)")
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="hold every BLAS and OpenMP pool to this many threads for the whole "
        "run (threadpoolctl); default: as users get them",
    )
    parser.add_argument("--contenders", nargs="*", default=None)
    parser.add_argument("--l1", action="store_true", help="also the L1 path")
    parser.add_argument("--no-install", action="store_true")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--output", default=None, help="also write to this JSON")
    args = parser.parse_args(argv)
    if args.threads is None:
        return _main(args, argv)
    with threadpool_limits(args.threads):
        return _main(args, argv)


def _main(args, argv):
    env = environment()
    print(json.dumps(env, indent=1))
    print(METHOD)
    report = {"env": env, "threads": args.threads, "results": []}
    for key in args.workloads:
        report["results"].append(bench_workload(key, args))
        print(to_markdown(report["results"][-1]), flush=True)
    if args.l1:
        glmnet, reason = load_glmnet(not args.no_install)
        if reason:
            print(f"glmnet skipped: {reason}")
            report["glmnet_skipped"] = reason
        report["results"].append(bench_l1(args, glmnet))
        print(to_markdown(report["results"][-1]))
    argv = sys.argv[1:] if argv is None else argv
    report["command"] = " ".join(["python benchmarks/bench_cv.py", *argv])
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=1))
    if args.write:
        (RESULTS_DIR / "cv.json").write_text(json.dumps(report, indent=1))
        write_results_md(report)
    return report


if __name__ == "__main__":
    main()
