"""Tests of the gradient-descent solver and the shared result / warning.

The solver sees only callables, so most problems here are built by hand: a
strongly convex quadratic, a lasso (through ``prox``), and the softmax loss
compared with scipy's L-BFGS-B.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

from sk_softmax._convergence import warn_if_not_converged
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._optim import OptimizeResult, minimize_gd
from sk_softmax._penalty import ElasticNet


class LinearRaw:
    """``raw(x) = A @ x`` in the form the solver calls: ``raw(x, out=None)``."""

    def __init__(self, A):
        self.A = A
        self.n_calls = 0

    def __call__(self, x, out=None):
        self.n_calls += 1
        r = self.A @ x
        if out is None:
            return r
        out[...] = r
        return out


class Quadratic:
    """``f(x) = 1/2 x'Ax - b'x`` with ``raw(x) = A x``; minimum at ``A^-1 b``."""

    def __init__(self, n=8, cond=50.0, seed=0):
        rng = np.random.default_rng(seed)
        Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        eig = np.geomspace(1.0, cond, n)
        self.A = (Q * eig) @ Q.T
        self.A = (self.A + self.A.T) / 2
        self.b = rng.normal(size=n)
        self.x_star = np.linalg.solve(self.A, self.b)
        self.f_star = -0.5 * self.b @ self.x_star
        self.L = cond
        self.raw = LinearRaw(self.A)

    def value(self, x, r):
        return 0.5 * float(x @ r) - float(self.b @ x)

    def value_gradient(self, x, r):
        return self.value(x, r), r - self.b


def assert_non_increasing(history, rtol=1e-12):
    """F never increases, up to the rounding of F itself.

    The solver evaluates F from carried ``raw`` values (and accepts steps with a
    slack of a few ulps of F), so consecutive values may differ by rounding:
    a few hundred ulps at most, far below ``rtol * |F|``. Any actual ascent is
    many orders of magnitude larger.
    """
    history = np.asarray(history)
    increase = np.diff(history)
    scale = rtol * np.maximum(np.abs(history[1:]), 1.0)
    assert np.all(increase <= scale), f"F increased by up to {increase.max():.3g}"


def run_quadratic(problem, **kwargs):
    kwargs.setdefault("step", 1.0 / problem.L)
    x0 = np.zeros(len(problem.b))
    return minimize_gd(problem.value_gradient, problem.value, problem.raw, x0, **kwargs)


# ---------------------------------------------------------------------- quadratic
def _gradient_bound(problem, tol, t):
    """Bound on max|grad f(x_new)| when the gradient mapping at y is <= tol.

    Without prox the mapping is grad f(y), and grad f(x_new) = (I - t A) grad f(y),
    so ||grad f(x_new)|| <= max(1, t L) sqrt(n) tol (t: the step taken).
    """
    return max(1.0, t * problem.L) * np.sqrt(len(problem.b)) * tol


@pytest.mark.parametrize("step_scale", [1.0, 1e-3, 100.0])
def test_quadratic_converges_to_the_solution(step_scale):
    # The initial step is only a hint: far too small or too large still works.
    problem = Quadratic()
    tol = 1e-7
    steps = []
    res = run_quadratic(
        problem,
        tol=tol,
        max_iter=5000,
        step=step_scale / problem.L,
        callback=lambda n_iter, fun, grad_norm, step, x: steps.append(step),
    )
    assert isinstance(res, OptimizeResult)
    assert res.converged
    assert res.message == "converged"
    assert res.grad_norm <= tol
    assert 0 < res.n_iter < 5000
    assert len(res.history) == res.n_iter
    grad = problem.A @ res.x - problem.b
    bound = _gradient_bound(problem, tol, steps[-1])  # steps[-1] >= the step used
    assert np.max(np.abs(grad)) <= bound
    # ||x - x*|| <= ||grad f(x)|| / lambda_min, and lambda_min = 1.
    assert np.linalg.norm(res.x - problem.x_star) <= np.linalg.norm(grad) + 1e-12
    assert_allclose(res.x, problem.x_star, rtol=0, atol=1e-5)
    assert res.fun == pytest.approx(problem.f_star, rel=1e-12)
    assert res.fun == pytest.approx(problem.value(res.x, problem.A @ res.x), rel=1e-12)
    assert res.history[-1] == res.fun


def test_quadratic_history_is_monotone():
    problem = Quadratic(n=20, cond=1e3, seed=1)
    res = run_quadratic(problem, tol=1e-7, max_iter=20000)
    assert res.converged
    # F never increases (adaptive restart rejects any step that would raise it).
    assert_non_increasing(res.history)
    assert res.history[0] < problem.value(np.zeros(20), np.zeros(20))
    # The reported objective is the objective at the returned point.
    exact = problem.value(res.x, problem.A @ res.x)
    assert res.fun == pytest.approx(exact, rel=1e-12)


def test_carried_raw_values_stay_exact():
    # The solver passes value/value_gradient a raw value r it carries along by
    # linear combinations instead of calling raw(x). The contract is r = raw(x);
    # the module promises the carried values are refreshed "so rounding errors
    # cannot accumulate". Check r against A @ x at every call.
    problem = Quadratic(n=20, cond=1e3, seed=1)
    worst = []

    def check(x, r):
        exact = problem.A @ x
        worst.append(np.max(np.abs(r - exact)) / max(np.max(np.abs(exact)), 1.0))

    def value(x, r):
        check(x, r)
        return problem.value(x, r)

    def value_gradient(x, r):
        check(x, r)
        return problem.value_gradient(x, r)

    res = minimize_gd(
        value_gradient,
        value,
        problem.raw,
        np.zeros(20),
        step=1 / problem.L,
        tol=1e-7,
        max_iter=20000,
    )
    assert res.converged
    assert res.n_iter > 100  # long enough for several refreshes
    # Rounding over one refresh window is ~1e-13; drift would be far larger.
    assert max(worst) <= 1e-10, f"carried raw off by {max(worst):.3g} (relative)"


def test_quadratic_accelerated_rate():
    # Nesterov acceleration: iterations grow like sqrt(cond), not like cond.
    # From cond 1e2 to 1e4 that is a factor ~10 (accelerated) against ~100
    # (plain gradient descent); the threshold is their geometric midpoint.
    n_iter = {}
    for cond in (1e2, 1e4):
        problem = Quadratic(n=30, cond=cond, seed=2)
        res = run_quadratic(problem, tol=1e-6, max_iter=50000)
        assert res.converged
        n_iter[cond] = res.n_iter
    assert n_iter[1e4] / n_iter[1e2] < 10**1.5, n_iter


def test_converged_flag_is_truthful():
    # f(x) = 1/2 (x - x*)'A(x - x*), whose minimum value is 0: converged=True
    # must mean the gradient (mapping) is really at most tol. The bound allows
    # for the extrapolation (see _gradient_bound).
    problem = Quadratic(n=8, cond=10.0, seed=0)
    shift = 0.5 * float(problem.b @ problem.x_star)

    def value(x, r):
        return problem.value(x, r) + shift

    def value_gradient(x, r):
        return value(x, r), r - problem.b

    tol = 1e-10
    steps = []
    res = minimize_gd(
        value_gradient,
        value,
        problem.raw,
        np.zeros(8),
        step=1 / problem.L,
        tol=tol,
        max_iter=10000,
        callback=lambda n_iter, fun, grad_norm, step, x: steps.append(step),
    )
    grad = np.max(np.abs(problem.A @ res.x - problem.b))
    if res.converged:
        bound = _gradient_bound(problem, tol, steps[-1])
        assert grad <= bound, (
            f"converged=True with grad_norm={res.grad_norm:.3g} but the gradient "
            f"is {grad:.3g} > {bound:.3g} (step {steps[-1]:.3g})"
        )
    else:
        assert res.message != "converged"


def test_quadratic_reaches_tight_tol():
    # A well-conditioned quadratic (cond 10) whose gradient is computed exactly
    # to ~1e-16: plain gradient descent with the fixed step 1/L reaches
    # max|grad| <= 1e-10 in 219 iterations, so the accelerated solver should
    # too, within 10000.
    problem = Quadratic(n=8, cond=10.0, seed=0)
    tol = 1e-10
    res = run_quadratic(problem, tol=tol, max_iter=10000)
    assert res.converged, (res.message, res.grad_norm)
    assert_allclose(res.x, problem.x_star, rtol=0, atol=1e-8)


def test_one_raw_evaluation_per_iteration():
    # Without prox the solver carries raw values: one raw(g) per iteration
    # however many trial steps the line search takes, plus periodic exact
    # refreshes. Start with a step 1000x too large to force backtracking.
    problem = Quadratic(n=20, cond=1e3, seed=1)
    n_values = []

    def value(x, r):
        n_values.append(1)
        return problem.value(x, r)

    res = minimize_gd(
        problem.value_gradient,
        value,
        problem.raw,
        np.zeros(20),
        step=1e3 / problem.L,
        tol=1e-7,
        max_iter=20000,
    )
    assert res.converged
    assert len(n_values) > res.n_iter + 5  # the line search did backtrack
    assert problem.raw.n_calls <= 1 + 1.25 * res.n_iter


def test_x0_not_modified():
    problem = Quadratic()
    x0 = np.ones(len(problem.b))
    res = minimize_gd(
        problem.value_gradient, problem.value, problem.raw, x0, step=1 / problem.L
    )
    assert_array_equal(x0, 1.0)
    assert res.x is not x0


def test_start_at_the_optimum():
    problem = Quadratic()
    res = minimize_gd(
        problem.value_gradient,
        problem.value,
        problem.raw,
        problem.x_star.copy(),
        step=1 / problem.L,
        tol=1e-8,
    )
    assert res.converged
    assert res.n_iter == 1
    assert_allclose(res.x, problem.x_star, atol=1e-12)


def test_max_iter_reached():
    problem = Quadratic(n=20, cond=1e3, seed=1)
    res = run_quadratic(problem, tol=1e-12, max_iter=3)
    assert not res.converged
    assert res.n_iter == 3
    assert len(res.history) == 3
    assert "maximum number of iterations" in res.message
    assert res.grad_norm > 1e-12
    # It still made progress and returns its best point.
    assert res.fun < problem.value(np.zeros(20), np.zeros(20))
    assert res.fun == pytest.approx(problem.value(res.x, problem.A @ res.x), rel=1e-12)


# ----------------------------------------------------------------------- callback
def test_callback_called_once_per_iteration():
    problem = Quadratic()
    calls = []

    def callback(n_iter, fun, grad_norm, step, x):
        calls.append((n_iter, fun, grad_norm, step))
        return False

    res = run_quadratic(problem, tol=1e-7, max_iter=5000, callback=callback)
    assert res.converged
    assert len(calls) == res.n_iter
    assert [c[0] for c in calls] == list(range(1, res.n_iter + 1))
    assert [c[1] for c in calls] == res.history
    assert calls[-1][2] == res.grad_norm
    assert all(c[3] > 0 for c in calls)


@pytest.mark.parametrize("stop_at", [1, 5])
def test_callback_returning_true_stops(stop_at):
    problem = Quadratic(n=20, cond=1e3, seed=1)
    calls = []

    def callback(n_iter, fun, grad_norm, step, x):
        calls.append(n_iter)
        return n_iter == stop_at

    res = run_quadratic(problem, tol=1e-12, max_iter=1000, callback=callback)
    assert calls == list(range(1, stop_at + 1))
    assert res.n_iter == stop_at
    assert len(res.history) == stop_at
    assert not res.converged
    assert res.message == "stopped by callback"


# -------------------------------------------------------------------------- lasso
def _lasso_problem():
    """min 1/(2n) ||X w - y||^2 + alpha ||w||_1 with a sparse truth."""
    rng = np.random.default_rng(0)
    n, d = 60, 12
    X = rng.normal(size=(n, d))
    w_true = np.zeros(d)
    w_true[[0, 3, 7]] = [2.0, -1.5, 1.0]
    y = X @ w_true + 0.1 * rng.normal(size=n)
    return X, y, 0.1


def test_lasso_matches_coordinate_descent():
    X, y, alpha = _lasso_problem()
    n, d = X.shape
    raw = LinearRaw(X)

    def value(w, r):
        return 0.5 / n * float(np.sum((r - y) ** 2))

    def value_gradient(w, r):
        return value(w, r), X.T @ (r - y) / n

    def prox(w, t):
        return np.sign(w) * np.maximum(np.abs(w) - t * alpha, 0)

    def nonsmooth(w):
        return alpha * float(np.sum(np.abs(w)))

    L = np.linalg.eigvalsh(X.T @ X / n).max()
    res = minimize_gd(
        value_gradient,
        value,
        raw,
        np.zeros(d),
        prox=prox,
        nonsmooth=nonsmooth,
        step=1 / L,
        tol=1e-9,
        max_iter=10000,
    )
    assert res.converged
    assert res.grad_norm <= 1e-9
    ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100000)
    ref.fit(X, y)
    w_ref = ref.coef_
    # A problem with a clear support: both have exact zeros in the same places.
    assert 0 < np.count_nonzero(w_ref) < d
    assert_array_equal(res.x == 0, w_ref == 0)
    assert_allclose(res.x, w_ref, rtol=0, atol=1e-8)
    F_ref = value(w_ref, X @ w_ref) + nonsmooth(w_ref)
    assert res.fun == pytest.approx(F_ref, rel=1e-12)
    # KKT: |X_j' r / n| <= alpha off the support, = alpha sign(w_j) on it.
    g = X.T @ (X @ res.x - y) / n
    on = res.x != 0
    assert_allclose(g[on], -alpha * np.sign(res.x[on]), rtol=0, atol=1e-8)
    assert np.all(np.abs(g[~on]) < alpha)
    # The objective with the L1 term never increases.
    assert_non_increasing(res.history)


# ------------------------------------------------------------------ softmax loss
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_softmax_loss_matches_lbfgs(n_classes, fit_intercept):
    rng = np.random.default_rng(0)
    n, d = 80, 5
    X = rng.normal(size=(n, d))
    W_true = rng.normal(size=(n_classes, d))
    y = np.argmax(X @ W_true.T + rng.gumbel(size=(n, n_classes)), axis=1)
    sw = rng.uniform(0.5, 2.0, size=n)
    loss = LinearSoftmaxLoss(
        X,
        y,
        n_classes,
        sample_weight=sw,
        fit_intercept=fit_intercept,
        penalty=ElasticNet(alpha=1e-2),
    )
    x0 = np.zeros(loss.n_dof)
    res = minimize_gd(
        loss.value_gradient,
        loss.value,
        loss.raw,
        x0,
        step=loss.initial_step(),
        tol=1e-8,
        max_iter=10000,
    )
    assert res.converged
    ref = minimize(
        loss.value_gradient,
        x0,
        jac=True,
        method="L-BFGS-B",
        tol=1e-14,
        options={"maxiter": 10000, "maxfun": 20000, "gtol": 1e-12, "ftol": 1e-16},
    )
    assert np.max(np.abs(ref.jac)) < 1e-7
    assert_allclose(res.x, ref.x, rtol=0, atol=1e-6)
    assert res.fun == pytest.approx(loss.value(ref.x), rel=1e-12)
    assert res.fun <= loss.value(ref.x) + 1e-12
    assert_non_increasing(res.history)


def test_softmax_loss_with_l1_reaches_prox_optimum():
    # Elastic-net on the softmax loss: the prox-gradient fixed point.
    rng = np.random.default_rng(1)
    n, d, K = 60, 6, 3
    X = rng.normal(size=(n, d))
    y = rng.integers(K, size=n)
    penalty = ElasticNet(alpha=0.05, l1_ratio=0.7)
    loss = LinearSoftmaxLoss(X, y, K, penalty=penalty)
    res = minimize_gd(
        loss.value_gradient,
        loss.value,
        loss.raw,
        np.zeros(loss.n_dof),
        prox=loss.prox,
        nonsmooth=loss.nonsmooth_value,
        step=loss.initial_step(),
        tol=1e-9,
        max_iter=20000,
    )
    assert res.converged
    # KKT conditions of min f + l1 ||W||_1 at the returned point, to 100 tol
    # (tol bounds the gradient mapping at the extrapolated point, not here).
    _, g = loss.value_gradient(res.x)
    W, _ = loss.unpack(res.x)
    gW, gb = loss.unpack(g)
    assert_allclose(gb, 0, atol=1e-7)
    on = W != 0
    assert np.any(~on)  # l1 makes some weights exactly zero
    assert_allclose(gW[on], -penalty.l1 * np.sign(W[on]), rtol=0, atol=1e-7)
    assert np.all(np.abs(gW[~on]) <= penalty.l1 + 1e-7)
    total = loss.value(res.x) + loss.nonsmooth_value(res.x)
    assert res.fun == pytest.approx(total, rel=1e-12)


# ------------------------------------------------------------------------ warning
def _result(converged):
    return OptimizeResult(
        x=np.zeros(2),
        fun=0.0,
        n_iter=7,
        converged=converged,
        grad_norm=0.5,
        history=[1.0] * 7,
        message="maximum number of iterations reached",
    )


def test_warn_if_not_converged_warns():
    with pytest.warns(ConvergenceWarning) as record:
        warn_if_not_converged(_result(False), "gd", 1e-4, 7)
    assert len(record) == 1
    message = str(record[0].message)
    assert "'gd'" in message
    assert "tol=0.0001" in message
    assert "max_iter=7" in message
    assert "maximum number of iterations reached" in message


def test_warn_if_not_converged_silent_when_converged():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warn_if_not_converged(_result(True), "gd", 1e-4, 7)
    assert record == []


def test_warning_from_a_real_run():
    problem = Quadratic()
    res = run_quadratic(problem, tol=1e-12, max_iter=2)
    with pytest.warns(ConvergenceWarning, match=r"'gd'.*tol=1e-12"):
        warn_if_not_converged(res, "gd", 1e-12, 2)
