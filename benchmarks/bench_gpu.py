"""GPU: the full-batch solvers on torch CUDA tensors, through the Array API.

W2 (160,000 x 100, 10 classes) and W4 (40,000 x 256, 100 classes) are moved to
a torch device once; with ``sklearn.set_config(array_api_dispatch=True)`` the
loss then runs there and only the coefficients travel to the host solvers.
Contenders, each timed to a relative objective gap of 1e-6 (the smallest
sufficient ``max_iter``, found as in ``bench_solvers.py``), median of
``--repeats`` fits:

- ``SoftmaxClassifier`` with each full-batch solver on the torch tensors;
- the same on the numpy arrays, on the CPU (the peer for the speed-up);
- ``LogisticRegression(solver="lbfgs")`` on the same torch tensors (scikit-learn
  1.9's Array API support), with ``C = 1 / (alpha n)``.

Usage, on a machine with an NVIDIA GPU and torch installed::

    python benchmarks/bench_gpu.py                   # cuda, W2 and W4
    python benchmarks/bench_gpu.py --device cpu --scale 0.01 --repeats 1

``--write`` records ``benchmarks/results/gpu_<device>.json`` and regenerates
the GPU section of ``benchmarks/RESULTS.md``.
"""

import argparse
import copy
import json
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy is imported

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import environment, replace_section
from bench_solvers import (
    Contender,
    Search,
    _logistic,
    _ours,
    prepare,
    reference_optimum,
)
from sklearn import config_context

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET = 1e-6
SOLVERS = ("auto", "lbfgs", "newton-cg", "gd")


class OnDevice(Contender):
    """Fits the torch copies of the data, with array API dispatch on."""

    def __init__(self, name, make, X_device, y_device, sync):
        super().__init__(name, make)
        self.X_device, self.y_device, self.sync = X_device, y_device, sync

    def fit(self, max_iter, X, y, alpha):
        with config_context(array_api_dispatch=True):
            seconds, model = super().fit(max_iter, self.X_device, self.y_device, alpha)
        self.sync()
        # The objective is evaluated on the host: a numpy view of the model.
        host = copy.copy(model)
        for name in ("coef_", "intercept_"):
            setattr(host, name, getattr(model, name).cpu().numpy())
        return seconds, host


def bench_workload(name, args, torch):
    data = prepare(name, args.scale)
    X = data["split"][0]
    alpha = 1.0 / X.shape[0]
    F_star = reference_optimum(data, alpha)
    device = torch.device(args.device)
    X_device = torch.asarray(X, device=device)
    y_device = torch.asarray(data["y_enc"], device=device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    contenders = [Contender(f"{s} (numpy, CPU)", _ours(s)) for s in SOLVERS]
    contenders += [
        OnDevice(f"{s} (torch, {args.device})", _ours(s), X_device, y_device, sync)
        for s in SOLVERS
    ]
    contenders.append(
        OnDevice(
            f"LR lbfgs (torch, {args.device})",
            _logistic("lbfgs"),
            X_device,
            y_device,
            sync,
        )
    )
    rows = []
    for contender in contenders:
        search = Search(contender, data, F_star, alpha, args.repeats, args.budget)
        k = search.smallest(TARGET)
        seconds = None if k is None else search.median_time(k)
        rows.append({"contender": contender.name, "iterations": k, "seconds": seconds})
        print(f"{name} {contender.name}: {k} iterations, {seconds} s", flush=True)
    return {"workload": name, "shape": list(X.shape), "rows": rows}


def to_markdown(results, device):
    lines = []
    for result in results:
        rows = {row["contender"]: row for row in result["rows"]}
        cpu = rows.get("auto (numpy, CPU)", {}).get("seconds")
        lr = rows.get(f"LR lbfgs (torch, {device})", {}).get("seconds")
        lines += [
            f"### {result['workload']} {result['shape'][0]} x {result['shape'][1]}",
            "",
            "| contender | iterations to 1e-6 | seconds | numpy CPU auto / this "
            "| LR lbfgs on the device / this |",
            "|---|---|---|---|---|",
        ]
        for row in result["rows"]:
            s = row["seconds"]
            speedup = f"{cpu / s:.1f}x" if s and cpu else "-"
            versus_lr = f"{lr / s:.2f}x" if s and lr else "-"
            shown = "-" if s is None else f"{s:.3f}"
            lines.append(
                f"| {row['contender']} | {row['iterations']} | {shown} | "
                f"{speedup} | {versus_lr} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workloads", nargs="+", default=["W2", "W4"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device: run on a GPU machine, or pass --device cpu")
    env = environment()
    env["torch"] = torch.__version__
    if args.device == "cuda":
        env["gpu"] = torch.cuda.get_device_name(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [bench_workload(w, args, torch) for w in args.workloads]
    table = to_markdown(results, args.device)
    print(table)
    out = {"device": args.device, "env": env, "results": results}
    if args.output:
        Path(args.output).write_text(json.dumps(out, indent=1))
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"gpu_{args.device}.json"
        path.write_text(json.dumps(out, indent=1))
        title = "## GPU (`bench_gpu.py`)"
        body = f"Device: {env.get('gpu', args.device)}, torch {env['torch']}\n\n{table}"
        replace_section("gpu", body, missing=f"{title}\n\n{__doc__.split(chr(10))[2]}")
    return out


if __name__ == "__main__":
    main()
