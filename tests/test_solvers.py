"""Direct tests of the full-batch solvers, the solver registry and the optimisers.

Each full-batch solver (:func:`minimize_gd` with and without a proximal term,
:func:`minimize_lbfgs`, :func:`minimize_newton_cg`) runs on a small softmax
regression objective (:class:`LinearSoftmaxLoss`, 60 samples x 4 features) and
must reach its optimum, computed independently here: the objective is
re-implemented from its formula::

    F(W, b) = sum_i w_i (logsumexp(Z_i) - Z_{i, y_i}) + l2 / 2 ||W||^2 + l1 ||W||_1
    Z = X @ W.T + b,  w_i = s_i / sum(s)

with its exact gradient and Hessian, in a parametrisation without the
softmax's redundancy (the intercept of class 0 is fixed at 0; for two classes
the weights of class 0 too), minimised by scipy's ``trust-exact`` and polished
by Newton steps to a gradient below 1e-10. With an L1 part, the support is
found by L-BFGS-B on the split ``W = U - V`` and the optimum then polished on
that support; the Karush-Kuhn-Tucker conditions certify it.
"""

import gc
import weakref

import numpy as np
import pytest
import scipy
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from packaging.version import Version
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends import build_problem
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._optim import (
    adam,
    minimize_gd,
    minimize_lbfgs,
    minimize_newton_cg,
    momentum_sgd,
)
from sk_softmax._penalty import ElasticNet
from sk_softmax._solvers import (
    SOLVERS,
    FullBatchSettings,
    check_solver,
    resolve_solver,
)
from sk_softmax._stochastic_fit import (
    StochasticSettings,
    StochasticState,
    solve_stochastic,
    start,
)

N_SAMPLES, N_FEATURES = 60, 4
L2 = 0.1
TOL = 1e-8
FULL_BATCH = [name for name, solver in SOLVERS.items() if not solver.stochastic]
STOCHASTIC = [name for name, solver in SOLVERS.items() if solver.stochastic]

classes_param = pytest.mark.parametrize("n_classes", [2, 3], ids=["K2", "K3"])
intercept_param = pytest.mark.parametrize(
    "fit_intercept", [True, False], ids=["fi", "nofi"]
)


# ------------------------------------------------------------------ the data
def make_data(n_classes, n=N_SAMPLES, d=N_FEATURES, seed=0):
    """Overlapping classes drawn from a softmax model, and positive weights."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 0] *= 3.0  # uneven feature scales: a less trivial conditioning
    W_true = rng.normal(size=(n_classes, d))
    P = softmax(X @ W_true.T + rng.normal(size=n_classes), axis=1)
    y = np.array([rng.choice(n_classes, p=p) for p in P])
    y[:n_classes] = np.arange(n_classes)  # every class present
    sw = rng.uniform(0.2, 3.0, size=n)
    return X, y, sw


def make_objective(n_classes, fit_intercept=True, l1=0.0, dtype=np.float64):
    X, y, sw = make_data(n_classes)
    penalty = ElasticNet(alpha=L2 + l1, l1_ratio=l1 / (L2 + l1))
    objective = LinearSoftmaxLoss(
        X.astype(dtype),
        y,
        n_classes,
        sample_weight=sw,
        fit_intercept=fit_intercept,
        penalty=penalty,
    )
    return objective, (X, y, sw)


# -------------------------------------------------------------- the reference
class Reference:
    """The objective written from its formula, over non-redundant parameters.

    ``theta`` holds the weights of the free rows (all K rows for K >= 3, the
    row of class 1 for K = 2) then, with an intercept, the intercepts of
    classes 1..K-1 (class 0's is fixed at 0, which removes the softmax's
    invariance to a common shift). Full parameters are a (K, d + 1) matrix
    ``T = [W | b]``.
    """

    def __init__(self, X, y, n_classes, sw, l2, l1=0.0, fit_intercept=True):
        n, d = X.shape
        self.K, self.d, self.l2, self.l1 = n_classes, d, l2, l1
        self.fit_intercept = fit_intercept
        self.Xt = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
        self.D = self.Xt.shape[1]
        self.w = sw / sw.sum()
        self.y = y
        self.Y = np.eye(n_classes)[y]
        self.rows = [1] if n_classes == 2 else list(range(n_classes))
        index = [c * self.D + j for c in self.rows for j in range(d)]
        self.n_weights = len(index)
        if fit_intercept:
            index += [c * self.D + d for c in range(1, n_classes)]
        self.index = np.array(index)

    def full(self, theta):
        T = np.zeros(self.K * self.D)
        T[self.index] = theta
        return T.reshape(self.K, self.D)

    def _probabilities(self, theta):
        Z = self.Xt @ self.full(theta).T
        return Z, softmax(Z, axis=1)

    def smooth(self, theta):
        Z, _ = self._probabilities(theta)
        ce = logsumexp(Z, axis=1) - Z[np.arange(len(self.y)), self.y]
        W = theta[: self.n_weights]
        return float(self.w @ ce) + 0.5 * self.l2 * float(W @ W)

    def gradient(self, theta):
        _, P = self._probabilities(theta)
        G = (self.w[:, None] * (P - self.Y)).T @ self.Xt
        g = G.ravel()[self.index]
        g[: self.n_weights] += self.l2 * theta[: self.n_weights]
        return g

    def hessian(self, theta):
        _, P = self._probabilities(theta)
        J = np.einsum("ic,cd->icd", P, np.eye(self.K)) - P[:, :, None] * P[:, None]
        J *= self.w[:, None, None]
        H = np.einsum("icd,ij,ik->cjdk", J, self.Xt, self.Xt)
        H = H.reshape(self.K * self.D, self.K * self.D)[np.ix_(self.index, self.index)]
        H[np.diag_indices(self.n_weights)] += self.l2
        return H

    def value(self, theta):
        return self.smooth(theta) + self.l1 * np.abs(theta[: self.n_weights]).sum()

    def solve(self):
        """Return the minimiser ``theta`` (see the module docstring)."""
        theta0 = np.zeros(len(self.index))
        if self.l1 == 0:
            return self._trust_exact(theta0, np.ones(self.n_weights, dtype=bool), 0)
        # The support: L-BFGS-B on W = U - V, U, V >= 0, a smooth problem.
        m = self.n_weights

        def split(z):
            theta = np.concatenate([z[:m] - z[m : 2 * m], z[2 * m :]])
            g = self.gradient(theta)
            f = self.smooth(theta) + self.l1 * z[: 2 * m].sum()
            gz = np.concatenate([g[:m] + self.l1, -g[:m] + self.l1, g[m:]])
            return f, gz

        n_free = len(theta0) - m
        bounds = [(0, None)] * (2 * m) + [(None, None)] * n_free
        res = minimize(
            split,
            np.zeros(2 * m + n_free),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"gtol": 1e-12, "ftol": 0, "maxiter": 10000},
        )
        z = res.x
        W = z[:m] - z[m : 2 * m]
        support = np.abs(W) > 1e-6
        signs = np.sign(W) * support
        theta = np.concatenate([W, z[2 * m :]])
        return self._trust_exact(theta, support, signs)

    def _trust_exact(self, theta0, support, signs):
        """Minimise the smooth part plus ``l1 signs.W`` with W zero off `support`."""
        keep = np.concatenate([support, np.ones(len(theta0) - self.n_weights, bool)])
        linear = np.zeros(len(theta0))
        linear[: self.n_weights] = self.l1 * signs

        def embed(t):
            theta = np.zeros(len(theta0))
            theta[keep] = t
            return theta

        res = minimize(
            lambda t: self.smooth(embed(t)) + linear[keep] @ t,
            theta0[keep],
            jac=lambda t: (self.gradient(embed(t)) + linear)[keep],
            hess=lambda t: self.hessian(embed(t))[np.ix_(keep, keep)],
            method="trust-exact",
            options={"gtol": 1e-13, "maxiter": 1000},
        )
        t = res.x
        for _ in range(3):  # Newton's polish, to the rounding of the gradient
            g = (self.gradient(embed(t)) + linear)[keep]
            t = t - np.linalg.solve(self.hessian(embed(t))[np.ix_(keep, keep)], g)
        theta = embed(t)
        g = self.gradient(theta)
        # Certificate of optimality (the problem is convex).
        assert np.max(np.abs(g[keep] + linear[keep])) < 1e-10
        if self.l1:
            assert np.all(np.abs(g[: self.n_weights][~support]) < self.l1 - 1e-6)
        return theta

    def coefficients(self, theta):
        """``W`` of the free rows and the intercepts, centred for K >= 3."""
        T = self.full(theta)
        W = T[self.rows, : self.d]
        if not self.fit_intercept:
            return W, None
        b = T[self.rows, self.d]
        return W, b if self.K == 2 else b - b.mean()


@pytest.fixture(scope="module")
def optima():
    """The independent optimum of each problem, computed once."""
    cache = {}

    def get(n_classes, fit_intercept=True, l1=0.0):
        key = (n_classes, fit_intercept, l1)
        if key not in cache:
            X, y, sw = make_data(n_classes)
            ref = Reference(X, y, n_classes, sw, L2, l1, fit_intercept)
            theta = ref.solve()
            cache[key] = ref.value(theta), *ref.coefficients(theta)
        return cache[key]

    return get


def package_coefficients(objective, x):
    W, b = objective.unpack(np.asarray(x, dtype=np.float64))
    if b is None:
        return W, None
    return W, b if len(b) == 1 else b - b.mean()


def package_value(objective, x):
    x = np.asarray(x, dtype=objective.dtype)
    return objective.value(x) + objective.nonsmooth_value(x)


def assert_reaches(objective, x, reference, rtol=1e-10, atol=1e-6):
    f_star, W_star, b_star = reference
    assert package_value(objective, x) == pytest.approx(f_star, rel=rtol)
    W, b = package_coefficients(objective, x)
    assert_allclose(W, W_star, rtol=0, atol=atol)
    if b_star is not None:
        assert_allclose(b, b_star, rtol=0, atol=atol)


def assert_non_increasing(history, rtol=1e-12):
    history = np.asarray(history)
    increase = np.diff(history)
    assert np.all(increase <= rtol * np.maximum(np.abs(history[1:]), 1.0))


# ----------------------------------------------------------------- the solvers
def run_gd(objective, prox, **kwargs):
    kwargs.setdefault("tol", TOL)
    kwargs.setdefault("max_iter", 5000)
    return minimize_gd(
        objective.value_gradient,
        objective.value,
        objective.raw,
        objective.intercept_only_coef(),
        prox=objective.prox if prox else None,
        nonsmooth=objective.nonsmooth_value if prox else None,
        step=objective.initial_step(),
        **kwargs,
    )


def run_lbfgs(objective, prox=False, **kwargs):
    kwargs.setdefault("tol", TOL)
    kwargs.setdefault("max_iter", 1000)
    return minimize_lbfgs(
        objective.value_gradient, objective.intercept_only_coef(), **kwargs
    )


def run_newton_cg(objective, prox=False, **kwargs):
    kwargs.setdefault("tol", TOL)
    kwargs.setdefault("max_iter", 100)
    return minimize_newton_cg(
        objective.gradient_hessian_product,
        objective.value,
        objective.raw,
        objective.intercept_only_coef(),
        **kwargs,
    )


RUNNERS = {
    "gd": lambda objective, **kw: run_gd(objective, prox=False, **kw),
    "gd-prox": lambda objective, **kw: run_gd(objective, prox=True, **kw),
    "lbfgs": run_lbfgs,
    "newton-cg": run_newton_cg,
}
L1_OF = {"gd": 0.0, "gd-prox": 0.05, "lbfgs": 0.0, "newton-cg": 0.0}
runner_param = pytest.mark.parametrize("runner", list(RUNNERS))


def test_the_reference_with_l1_has_zeros_and_non_zeros(optima):
    # The L1 problem is a real test of the proximal step: some, not all, zeros.
    for n_classes in (2, 3):
        _, W, _ = optima(n_classes, True, L1_OF["gd-prox"])
        assert 0 < np.sum(W == 0) < W.size


@runner_param
@classes_param
@intercept_param
def test_solver_reaches_the_independent_optimum(
    runner, n_classes, fit_intercept, optima
):
    l1 = L1_OF[runner]
    objective, _ = make_objective(n_classes, fit_intercept, l1)
    max_iter = {"gd": 5000, "gd-prox": 5000, "lbfgs": 1000, "newton-cg": 100}[runner]
    res = RUNNERS[runner](objective, max_iter=max_iter)
    assert res.converged
    assert res.status == "converged"
    assert res.message == "converged"
    assert res.grad_norm <= TOL
    assert 1 <= res.n_iter <= max_iter
    assert len(res.history) == res.n_iter
    assert res.x.dtype == np.float64
    assert res.x.shape == (objective.n_dof,)
    assert_reaches(objective, res.x, optima(n_classes, fit_intercept, l1))
    assert res.fun == pytest.approx(package_value(objective, res.x), rel=1e-12)
    if runner != "lbfgs":  # L-BFGS-B may step uphill within its line search
        assert_non_increasing(res.history)
    if runner == "gd-prox":
        W_star = optima(n_classes, fit_intercept, l1)[1]
        W = package_coefficients(objective, res.x)[0]
        assert_array_equal(W == 0, W_star == 0)  # exact zeros, the same ones


@runner_param
def test_max_iter_too_small_stops_unconverged(runner):
    objective, _ = make_objective(3, True, L1_OF[runner])
    res = RUNNERS[runner](objective, max_iter=1)
    assert not res.converged
    assert res.status == "max_iter"
    assert res.n_iter == 1
    assert res.grad_norm > TOL
    assert len(res.history) == 1
    assert res.fun == pytest.approx(package_value(objective, res.x), rel=1e-12)
    # One iteration made progress from the start.
    assert res.fun < package_value(objective, objective.intercept_only_coef())


@runner_param
def test_callback_returning_true_stops_at_the_first_iteration(runner):
    objective, _ = make_objective(3, True, L1_OF[runner])
    calls = []

    def callback(n_iter, fun, grad_norm, step, x):
        calls.append((n_iter, fun, grad_norm, np.array(x, copy=True)))
        return True

    res = RUNNERS[runner](objective, callback=callback)
    assert res.status == "callback"
    assert res.message == "stopped by callback"
    assert not res.converged
    assert res.n_iter == 1
    assert len(calls) == 1
    n_iter, fun, grad_norm, x = calls[0]
    assert n_iter == 1
    assert np.isfinite(grad_norm) and grad_norm > 0
    assert fun == pytest.approx(package_value(objective, x), rel=1e-12)
    assert_allclose(res.x, x, rtol=0, atol=0)


@runner_param
def test_callback_sees_every_iteration(runner):
    objective, _ = make_objective(3, True, L1_OF[runner])
    seen = []
    res = RUNNERS[runner](
        objective, callback=lambda n_iter, fun, *rest: seen.append((n_iter, fun))
    )
    assert res.converged
    assert [n for n, _ in seen] == list(range(1, res.n_iter + 1))
    assert_allclose([f for _, f in seen], res.history, rtol=0, atol=0)


@pytest.mark.parametrize("runner", ["gd", "lbfgs", "newton-cg"])
@classes_param
def test_float32_keeps_its_dtype(runner, n_classes, optima):
    objective, _ = make_objective(n_classes, dtype=np.float32)
    assert objective.intercept_only_coef().dtype == np.float32
    res = RUNNERS[runner](objective, tol=1e-4)
    assert res.converged
    assert res.status == "converged"
    assert res.grad_norm <= 1e-4
    assert res.x.dtype == np.float32
    assert_reaches(objective, res.x, optima(n_classes), rtol=1e-6, atol=2e-3)


def test_newton_cg_converges_superlinearly(optima):
    # Truncated Newton with the forcing sequence min(0.5, sqrt(|g|)): a handful
    # of outer iterations from the intercept-only start to a gradient of 1e-12.
    objective, _ = make_objective(3)
    grads = []
    res = run_newton_cg(
        objective, tol=1e-12, callback=lambda n, f, g, t, x: grads.append(g)
    )
    assert res.converged
    assert res.n_iter <= 12
    # Once close, the ratio of successive gradients itself shrinks.
    ratios = np.array(grads[1:]) / np.array(grads[:-1])
    assert ratios[-1] < ratios[-2] < ratios[-3]
    assert ratios[-1] < 0.01
    assert_reaches(objective, res.x, optima(3))


def test_newton_cg_already_optimal_start_does_no_iteration(optima):
    objective, _ = make_objective(3)
    x_star = run_newton_cg(objective, tol=1e-12).x
    res = minimize_newton_cg(
        objective.gradient_hessian_product,
        objective.value,
        objective.raw,
        x_star,
        tol=1e-8,
    )
    assert res.converged
    assert res.n_iter == 0
    assert res.history == []
    assert_array_equal(res.x, x_star)
    assert res.x is not x_star  # a copy: the start is not modified in place


def test_lbfgs_does_not_modify_x0_and_passes_its_dtype():
    objective, _ = make_objective(3, dtype=np.float32)
    x0 = objective.intercept_only_coef()
    before = x0.copy()
    dtypes = set()

    def value_gradient(x):
        dtypes.add(x.dtype)
        return objective.value_gradient(x)

    res = minimize_lbfgs(value_gradient, x0, tol=1e-4)
    assert res.converged
    assert dtypes == {np.dtype(np.float32)}
    assert_array_equal(x0, before)


@pytest.mark.skipif(
    Version(scipy.__version__) < Version("1.17"),
    reason="scipy's L-BFGS-B before 1.17 may keep the objective in a reference "
    "cycle of its own (seen with scipy 1.13); checked with scipy 1.17",
)
def test_lbfgs_lets_go_of_the_objective_when_it_returns():
    # Reference counting alone must free the objective (on dask it holds the
    # workers' chunk losses): no reference cycle through the solver.
    objective, _ = make_objective(3)
    alive = weakref.WeakSet()

    class Tracked:
        def __call__(self, x):
            return objective.value_gradient(x)

    value_gradient = Tracked()
    alive.add(value_gradient)
    gc.disable()
    try:
        minimize_lbfgs(value_gradient, objective.intercept_only_coef(), max_iter=5)
        del value_gradient
        n_alive = len(alive)
    finally:
        gc.enable()
    assert n_alive == 0


def test_gd_with_prox_and_zero_l1_matches_gd_without():
    # The proximal step of a zero L1 term is the identity: same iterates.
    objective, _ = make_objective(3, l1=0.0)
    plain = run_gd(objective, prox=False)
    proxed = run_gd(objective, prox=True)
    assert plain.converged and proxed.converged
    assert_allclose(proxed.x, plain.x, rtol=0, atol=1e-7)


# ---------------------------------------------------------------- the registry
def test_registry_entries():
    assert set(SOLVERS) == {"gd", "lbfgs", "newton-cg", "prox-newton", "sgd", "adam"}
    for name, solver in SOLVERS.items():
        assert solver.name == name
        assert (solver.run is None) == solver.stochastic
        assert solver.partial_fit == solver.stochastic
    assert not SOLVERS["lbfgs"].accepts_l1
    assert not SOLVERS["newton-cg"].accepts_l1
    assert SOLVERS["gd"].accepts_l1
    assert SOLVERS["prox-newton"].accepts_l1
    assert [name for name, s in SOLVERS.items() if s.in_memory] == ["prox-newton"]
    assert set(STOCHASTIC) == {"sgd", "adam"}


@pytest.mark.parametrize("name", FULL_BATCH)
@classes_param
def test_registry_full_batch_entry_reaches_the_optimum(name, n_classes, optima):
    l1 = 0.05 if SOLVERS[name].accepts_l1 else 0.0
    objective, _ = make_objective(n_classes, True, l1)
    settings = FullBatchSettings(TOL, 5000, 0)
    res = SOLVERS[name].run(
        objective, objective.intercept_only_coef(), settings, callback=None
    )
    assert res.converged
    assert res.status == "converged"
    assert res.grad_norm <= TOL
    assert res.n_iter <= settings.max_iter
    assert_reaches(objective, res.x, optima(n_classes, True, l1))


@pytest.mark.parametrize("name", FULL_BATCH)
def test_registry_full_batch_entry_passes_max_iter_and_callback(name):
    objective, _ = make_objective(3)
    res = SOLVERS[name].run(
        objective, objective.intercept_only_coef(), FullBatchSettings(TOL, 2), None
    )
    assert res.status == "max_iter"
    assert res.n_iter == 2
    calls = []
    res = SOLVERS[name].run(
        objective,
        objective.intercept_only_coef(),
        FullBatchSettings(TOL, 100),
        lambda *args: calls.append(args) or len(calls) == 3,
    )
    assert res.status == "callback"
    assert res.n_iter == 3 == len(calls)


def test_registry_newton_cg_with_a_hessian_subsample_reaches_the_optimum():
    # Enough rows (>= 80 per coefficient) for the subsampled Hessian: the
    # gradient stays exact, so the optimum is the same; the seed fixes the run.
    n_classes = 3
    X, y, sw = make_data(n_classes, n=1300, seed=1)
    objective = LinearSoftmaxLoss(
        X, y, n_classes, sample_weight=sw, penalty=ElasticNet(alpha=L2)
    )
    assert objective.n_samples >= 80 * objective.n_dof
    ref = Reference(X, y, n_classes, sw, L2)
    theta = ref.solve()
    runs = []
    for _ in range(2):
        objective = LinearSoftmaxLoss(
            X, y, n_classes, sample_weight=sw, penalty=ElasticNet(alpha=L2)
        )
        runs.append(
            SOLVERS["newton-cg"].run(
                objective,
                objective.intercept_only_coef(),
                FullBatchSettings(TOL, 100, random_state=3),
                None,
            )
        )
        assert objective.data._hessian_rows is not None  # it did subsample
        assert len(objective.data._hessian_rows[0]) < objective.n_samples
    for res in runs:
        assert res.converged
        assert_reaches(objective, res.x, (ref.value(theta), *ref.coefficients(theta)))
    assert_array_equal(runs[0].x, runs[1].x)
    assert runs[0].n_iter == runs[1].n_iter


@pytest.mark.parametrize("name", STOCHASTIC)
def test_registry_stochastic_entry_approaches_the_optimum(name, optima):
    # Full-batch steps with an adaptive rate: the stochastic solvers' own loop
    # reaches the optimum to a few digits. (With full batches, a momentum of
    # 0.9 makes the loss oscillate, and the stopping rule ends the run early.)
    objective, _ = make_objective(3)
    settings = StochasticSettings(
        solver=name,
        momentum=0.5,
        batch_size=N_SAMPLES,
        learning_rate="adaptive",
        # 'auto' for sgd (1 / L); adam's 'auto' (0.001) is tuned for long
        # streams and takes far more full-batch epochs than this budget.
        learning_rate_init="auto" if name == "sgd" else 0.01,
        tol=1e-12,
        n_iter_no_change=5,
        max_iter=3000,
    )
    state = start(StochasticState(seed=0), settings, objective)
    res, state = solve_stochastic(
        state, settings, objective, objective.intercept_only_coef()
    )
    assert res.stochastic
    f_star = optima(3)[0]
    assert res.fun == pytest.approx(f_star, rel=1e-6)
    assert package_value(objective, res.x) == pytest.approx(f_star, rel=1e-6)
    assert_reaches(objective, res.x, optima(3), rtol=1e-6, atol=1e-2)


def test_check_solver_refuses_l1_with_lbfgs_and_newton_cg():
    for name in ["lbfgs", "newton-cg"]:
        with pytest.raises(ValueError, match=f"solver='{name}' supports only the L2"):
            check_solver(name, 0.5, 1.0, False, "numpy")
        with pytest.raises(ValueError, match="'gd', 'prox-newton', 'sgd' or 'adam'"):
            check_solver(name, 1.0, 0.1, False, "numpy")
        # No L1 part when alpha is zero, or l1_ratio is.
        check_solver(name, 0.5, 0.0, False, "numpy")
        check_solver(name, 0.0, 1.0, False, "numpy")
    for name in ["auto", "gd", "prox-newton", "sgd", "adam"]:
        check_solver(name, 0.5, 1.0, False, "numpy")


@pytest.mark.parametrize("name", FULL_BATCH)
def test_check_solver_refuses_early_stopping_with_a_full_batch_solver(name):
    with pytest.raises(ValueError, match="early_stopping needs a stochastic solver"):
        check_solver(name, 0.0, 1.0, True, "numpy")


@pytest.mark.parametrize("name", ["auto", *STOCHASTIC])
def test_check_solver_accepts_early_stopping_in_memory(name):
    assert check_solver(name, 0.0, 1.0, True, "numpy") is None


@pytest.mark.parametrize(
    "kind, match",
    [
        ("dask", "fit on dask collections runs the full-batch solvers"),
        ("array-api", "Array API inputs run the full-batch solvers"),
    ],
)
def test_check_solver_refuses_stochastic_solvers_off_memory(kind, match):
    for name in STOCHASTIC:
        with pytest.raises(ValueError, match=match) as info:
            check_solver(name, 0.0, 1.0, False, kind)
        assert f"solver={name!r}" in str(info.value)
    with pytest.raises(ValueError, match=f"{match}.*with early_stopping"):
        check_solver("auto", 0.0, 1.0, True, kind)
    for name in ["auto", *FULL_BATCH]:
        if not SOLVERS[name if name != "auto" else "gd"].in_memory:
            check_solver(name, 0.0, 1.0, False, kind)


def make_problem(n_samples=60, n_features=2, sparse=False, **params):
    X, y, _ = make_data(3, n=n_samples, d=n_features)
    if sparse:
        X = sp.csr_matrix(X)
    return build_problem(SoftmaxClassifier(**params), X, y, None)


@pytest.mark.parametrize(
    "kwargs, l1, early_stopping, expected",
    [
        ({}, 0.0, False, "lbfgs"),
        ({}, 0.01, False, "prox-newton"),
        ({}, 0.0, True, "sgd"),
        ({}, 0.01, True, "sgd"),
        ({"sparse": True}, 0.0, False, "newton-cg"),
        ({"sparse": True}, 0.01, False, "prox-newton"),
        # n_dof = 3 * (2 + 1) = 9: 720 rows or more subsample the Hessian.
        ({"n_samples": 720}, 0.0, False, "newton-cg"),
        ({"n_samples": 719}, 0.0, False, "lbfgs"),
        ({"n_samples": 720}, 0.01, False, "prox-newton"),
        ({"n_samples": 719}, 0.01, False, "prox-newton"),
    ],
)
def test_resolve_solver_auto(kwargs, l1, early_stopping, expected):
    problem = make_problem(**kwargs)
    assert resolve_solver("auto", problem, l1, early_stopping) is SOLVERS[expected]


@pytest.mark.parametrize("name", list(SOLVERS))
def test_resolve_solver_named_is_that_solver(name):
    problem = make_problem(sparse=True)
    assert resolve_solver(name, problem, 0.5, True) is SOLVERS[name]


# ------------------------------------------------------------ the optimisers
def _copy(state):
    return tuple(
        np.array(s, copy=True) if isinstance(s, np.ndarray) else s for s in state
    )


def _assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        if isinstance(u, np.ndarray):
            assert u.dtype == v.dtype
            assert_array_equal(u, v, strict=True)
        else:
            assert u == v


def _soft_threshold(x, step):
    return np.sign(x) * np.maximum(np.abs(x) - 0.01 * step, 0.0)


OPTIMIZERS = {
    "sgd-nesterov": lambda: momentum_sgd(0.9, nesterov=True),
    "sgd-classical": lambda: momentum_sgd(0.9, nesterov=False),
    "sgd-plain": lambda: momentum_sgd(0.0),
    "adam": lambda: adam(),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("prox", [None, _soft_threshold], ids=["smooth", "prox"])
def test_optimizer_update_is_pure(name, prox):
    rng = np.random.default_rng(0)
    optimizer = OPTIMIZERS[name]()
    x = rng.normal(size=7)
    state = optimizer.init(x)
    for _ in range(3):  # a state with non-trivial moments
        x, state = optimizer.update(state, x, rng.normal(size=7), 0.05, prox)
    g = rng.normal(size=7)
    state_before, x_before, g_before = _copy(state), x.copy(), g.copy()
    x1, state1 = optimizer.update(state, x, g, 0.05, prox)
    _assert_same(state, state_before)
    assert_array_equal(x, x_before, strict=True)
    assert_array_equal(g, g_before, strict=True)
    # The new state and iterate share no memory with what was passed in.
    for new in (x1, *[s for s in state1 if isinstance(s, np.ndarray)]):
        for old in (x, g, *[s for s in state if isinstance(s, np.ndarray)]):
            assert not np.shares_memory(new, old)
    assert not np.array_equal(x1, x)
    # Replaying the same state gives bitwise the same step.
    x2, state2 = optimizer.update(state, x, g, 0.05, prox)
    assert_array_equal(x2, x1, strict=True)
    _assert_same(state2, state1)
    # ... even after the first result was modified.
    x1 += 1.0
    for s in state1:
        if isinstance(s, np.ndarray):
            s += 1.0
    x3, state3 = optimizer.update(state, x, g, 0.05, prox)
    assert_array_equal(x3, x2, strict=True)
    _assert_same(state3, state2)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_init_is_fresh_zeros(name):
    optimizer = OPTIMIZERS[name]()
    x = np.arange(5.0)
    state = optimizer.init(x)
    arrays = [s for s in state if isinstance(s, np.ndarray)]
    assert arrays
    for a in arrays:
        assert_array_equal(a, np.zeros_like(x), strict=True)
        assert not np.shares_memory(a, x)
    assert_array_equal(x, np.arange(5.0))
