"""
Solver convergence: objective gap against wall time
===================================================

Every solver of ``SoftmaxClassifier`` and every multinomial solver of
scikit-learn's ``LogisticRegression`` minimise the same objective on the digits
data when ``alpha = 1 / (C * n_samples)``. This example measures, for each of
them, how far from the optimum they are after a given wall time.

The full-batch solvers (``gd``, ``lbfgs``, ``newton-cg`` and
``LogisticRegression``'s ``lbfgs``, ``newton-cg`` and ``newton-cholesky``) close
the gap to machine precision. ``sgd`` and ``adam`` take cheap mini-batch steps,
come within about 1e-3 quickly, and then stall at the level of their gradient
noise: they are made for streams and early stopping, not for the exact optimum.
``sag`` and ``saga`` reduce that noise and do converge, slowly at this
regularisation. ``liblinear`` is left out: it fits one-versus-rest models, a
different objective.
"""

# %%
# The problem and its optimum
# ---------------------------
# Standardised digits, 1797 samples, 64 features, 10 classes: 650
# coefficients. The reference optimum ``F*`` is a ``newton-cg`` solve to a
# gradient of ``1e-11``.
import time
import warnings
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_softmax import SoftmaxClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
n_samples = len(y)
C = 0.1
alpha = 1.0 / (C * n_samples)


def objective(model):
    """Penalised mean cross-entropy of a fitted model (either package)."""
    Z = X @ model.coef_.T + model.intercept_
    cross_entropy = np.mean(logsumexp(Z, axis=1) - Z[np.arange(n_samples), y])
    return cross_entropy + alpha / 2 * np.sum(model.coef_**2)


optimum = objective(
    SoftmaxClassifier(alpha=alpha, solver="newton-cg", tol=1e-11).fit(X, y)
)
print(f"C={C}, alpha=1/(C*n)={alpha:.3g}, F*={optimum:.12f}")

# %%
# Time against budget
# -------------------
# For each solver, fit from scratch with a growing iteration (or epoch) budget
# ``max_iter`` and ``tol=0``, and record the wall time of the fit (the median of
# three while fits are short) and the objective reached. The budgets of a
# solver end once its relative gap is below ``1e-12``, once it stops short of
# its budget (the stochastic solvers stop after 10 epochs without
# improvement), or after about half a second of fitting. The digits problem is
# so small that a second BLAS thread costs more than it gains, so every solver
# runs on one thread.


def softmax_classifier(solver, budget):
    """SoftmaxClassifier with this solver and iteration budget."""
    return SoftmaxClassifier(
        alpha=alpha, solver=solver, tol=0.0, max_iter=budget, random_state=0
    )


def logistic_regression(solver, budget):
    """LogisticRegression with this solver and iteration budget."""
    return LogisticRegression(C=C, solver=solver, tol=0.0, max_iter=budget)


contenders = {
    f"SoftmaxClassifier {solver}": partial(softmax_classifier, solver)
    for solver in ["gd", "lbfgs", "newton-cg", "sgd", "adam"]
}
for solver in ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"]:
    contenders[f"LogisticRegression {solver}"] = partial(logistic_regression, solver)
budgets = np.unique(np.geomspace(1, 1000, 22).astype(int))
TIME_PER_SOLVER = 0.5  # seconds of fitting per solver, about


def fit_time(make, budget, repeats):
    """Return the median wall time of `repeats` fits, and the last model."""
    times = []
    for _ in range(repeats):
        model = make(budget)
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), model


records = {}
with threadpool_limits(limits=1), warnings.catch_warnings():
    # tol=0 asks for more than floating point resolves: silence the solvers'
    # convergence and line-search warnings.
    warnings.simplefilter("ignore")
    for name, make in contenders.items():
        make(1).fit(X, y)  # untimed warm-up
        times, gaps, spent = [], [], 0.0
        for budget in budgets:
            # The median of three fits while they are short and timings noisy.
            repeats = 3 if not times or times[-1] < 0.01 else 1
            seconds, model = fit_time(make, budget, repeats)
            spent += repeats * seconds
            times.append(seconds)
            gaps.append((objective(model) - optimum) / optimum)
            stopped = np.max(model.n_iter_) < budget  # by its own stopping rule
            if stopped or gaps[-1] < 1e-12 or spent > TIME_PER_SOLVER:
                break
        records[name] = np.array(times), np.maximum(np.array(gaps), 1e-16)

# %%
# Time to a relative gap of 1e-6
# ------------------------------
# The first measured budget that reaches the gap, and its median fit time.
print(f"{'solver':<36} {'time to 1e-6':>12} {'final gap':>10}")
for name, (times, gaps) in records.items():
    reached = np.flatnonzero(gaps <= 1e-6)
    when = f"{times[reached[0]]:.4f} s" if reached.size else "not reached"
    print(f"{name:<36} {when:>12} {gaps[-1]:>10.1e}")

# %%
# The gap against wall time
# -------------------------
# Solid lines: ``SoftmaxClassifier``; dashed: ``LogisticRegression``; one
# colour per algorithm. Each marker is one budget.
fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
algorithms = ["gd", "lbfgs", "newton-cg", "sgd", "adam", "newton-cholesky", "sag"]
algorithms.append("saga")
color_of = dict(zip(algorithms, plt.get_cmap("tab10").colors, strict=False))
for name, (times, gaps) in records.items():
    package, algorithm = name.split()
    ax.plot(
        times,
        gaps,
        marker="o",
        markersize=3,
        linestyle="-" if package == "SoftmaxClassifier" else "--",
        color=color_of[algorithm],
        label=name,
    )
ax.axhline(1e-6, color="gray", lw=0.8, ls=":")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("wall time of the fit (s, one thread)")
ax.set_ylabel("relative objective gap (F - F*) / F*")
ax.set_title(f"Digits, C={C}: every solver on the same objective")
ax.legend(fontsize=8, ncol=2)

plt.show()
