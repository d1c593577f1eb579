"""SoftmaxClassifier against independent optima: LogisticRegression and scipy.

With ``alpha = 1 / (C * sum(s))`` (``s`` the sample weights times the class
weights) the objective of SoftmaxClassifier is the one LogisticRegression(C=C)
minimises, for every number of classes; for two classes both use the logit of
``classes_[1]`` against ``classes_[0]``. Both sides are solved far past the
test tolerances, so a failure means a different optimum, not a loose solver.
Whether each solver really reaches a tight tolerance, and whether `converged_`
tells the truth about it, is tested separately at the end.
"""

import functools
import warnings
from inspect import signature

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from sk_softmax import SoftmaxClassifier
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet

pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ["gd", "newton-cg", "lbfgs"]
TOL = 1e-8  # the solvers' gradient tolerance in the oracle comparisons
PROBA_ATOL = 1e-5
COEF_ATOL = 1e-5

_LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
}


@functools.cache
def _standardised(name):
    X, y = _LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


@functools.cache
def dataset(name):
    """Standardised data; binary problems are built from iris and digits."""
    if name in _LOADERS:
        return _standardised(name)
    if name == "iris_versicolor_virginica":
        X, y = _standardised("iris")
        return X[y > 0], y[y > 0]
    if name == "iris_versicolor_vs_rest":
        X, y = _standardised("iris")
        return X, (y == 1).astype(int)
    if name == "digits_3_vs_8":
        X, y = _standardised("digits")
        mask = np.isin(y, [3, 8])
        return X[mask], y[mask]
    raise KeyError(name)


MULTICLASS = ["iris", "wine", "digits"]
BINARY = [
    "breast_cancer",
    "iris_versicolor_virginica",
    "iris_versicolor_vs_rest",
    "digits_3_vs_8",
]


# scikit-learn 1.6's compute_class_weight (and so LogisticRegression's
# 'balanced') counts samples and ignores sample weights; later releases, and
# sk_softmax, use the weighted class totals.
WEIGHTED_BALANCED = "sample_weight" in signature(compute_class_weight).parameters


def total_weight(y, sample_weight, class_weight):
    """``s_i`` = sample weight times class weight, as LogisticRegression uses it."""
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    if class_weight is not None:
        classes = np.unique(y)
        if WEIGHTED_BALANCED:
            per_class = compute_class_weight(
                class_weight, classes=classes, y=y, sample_weight=sample_weight
            )
        elif class_weight == "balanced" and sample_weight is not None:
            pytest.skip(
                "this scikit-learn's 'balanced' ignores sample weights; "
                "sk_softmax's uses them"
            )
        else:
            per_class = compute_class_weight(class_weight, classes=classes, y=y)
        s = s * per_class[np.searchsorted(classes, y)]
    return s


def fit_pair(
    X,
    y,
    C,
    solver,
    *,
    sample_weight=None,
    class_weight=None,
    lr_solver="newton-cg",
):
    """Fit both models to the same optimum; return (softmax, logistic)."""
    s = total_weight(y, sample_weight, class_weight)
    softmax = SoftmaxClassifier(
        alpha=1.0 / (C * s.sum()),
        solver=solver,
        tol=TOL,
        max_iter=20_000,
        class_weight=class_weight,
    ).fit(X, y, sample_weight=sample_weight)
    logistic = LogisticRegression(
        C=C,
        tol=1e-12,
        max_iter=100_000,
        solver=lr_solver,
        class_weight=class_weight,
    ).fit(X, y, sample_weight=sample_weight)
    assert softmax.converged_
    assert_allclose(softmax.classes_, logistic.classes_)
    return softmax, logistic


def assert_same_coefficients(softmax, logistic):
    assert softmax.coef_.shape == logistic.coef_.shape
    assert_allclose(softmax.coef_, logistic.coef_, rtol=0, atol=COEF_ATOL)
    # The unpenalised multiclass intercept is only defined up to a common shift.
    b, b_lr = softmax.intercept_, logistic.intercept_
    if len(b) > 1:
        b, b_lr = b - b.mean(), b_lr - b_lr.mean()
    assert_allclose(b, b_lr, rtol=0, atol=COEF_ATOL)


@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("name", MULTICLASS + BINARY)
@pytest.mark.parametrize("solver", SOLVERS)
def test_predict_proba_matches_logistic_regression(solver, name, C):
    X, y = dataset(name)
    softmax, logistic = fit_pair(X, y, C, solver)
    assert_allclose(
        softmax.predict_proba(X), logistic.predict_proba(X), rtol=0, atol=PROBA_ATOL
    )


@pytest.mark.parametrize(
    "name, lr_solver",
    [
        ("iris", "lbfgs"),
        ("iris", "newton-cg"),
        ("wine", "lbfgs"),
        ("wine", "newton-cg"),
        ("breast_cancer", "lbfgs"),
        ("breast_cancer", "newton-cg"),
    ],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_coefficients_match_logistic_regression(solver, name, lr_solver):
    X, y = dataset(name)
    softmax, logistic = fit_pair(X, y, 1.0, solver, lr_solver=lr_solver)
    assert_same_coefficients(softmax, logistic)


@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("solver", SOLVERS)
def test_binary_parameterisation_matches_logistic_regression(solver, name, C):
    X, y = dataset(name)
    softmax, logistic = fit_pair(X, y, C, solver)
    assert softmax.coef_.shape == (1, X.shape[1])
    assert softmax.intercept_.shape == (1,)
    # A gradient within TOL leaves the coefficients within
    # sqrt(n_dof) * TOL / mu of the optimum, mu the objective's smallest
    # curvature (twice that, for safety): on ill-conditioned problems that can
    # exceed COEF_ATOL, which then no longer follows from the tolerance.
    bound = 2 * np.sqrt(X.shape[1] + 1) * TOL / smallest_curvature(softmax, X, y, C)
    atol = max(COEF_ATOL, bound)
    assert_allclose(softmax.coef_, logistic.coef_, rtol=0, atol=atol)
    assert_allclose(softmax.intercept_, logistic.intercept_, rtol=0, atol=atol)
    decision = softmax.decision_function(X)
    assert decision.shape == (X.shape[0],)
    x_norm = np.sqrt(np.max(np.sum(X**2, axis=1)) + 1)
    assert_allclose(
        decision,
        logistic.decision_function(X),
        rtol=1e-5,
        atol=max(1e-5, atol * x_norm),
    )


def smallest_curvature(model, X, y, C):
    """Smallest eigenvalue of the binary objective's Hessian at the model."""
    classes, y_encoded = np.unique(y, return_inverse=True)
    loss = LinearSoftmaxLoss(
        X, y_encoded, len(classes), penalty=ElasticNet(1.0 / (C * len(y)))
    )
    coef = loss.pack(model.coef_, model.intercept_)
    hessp = loss.gradient_hessian_product(coef)[2]
    H = np.column_stack([hessp(e) for e in np.eye(loss.n_dof)])
    return np.linalg.eigvalsh((H + H.T) / 2).min()


def _weights(kind, y):
    rng = np.random.default_rng(42)
    if kind == "uniform":
        return rng.uniform(0.0, 3.0, size=len(y))
    if kind == "integer_with_zeros":
        return rng.integers(0, 4, size=len(y)).astype(float)
    return None


@pytest.mark.parametrize("weights", ["uniform", "integer_with_zeros"])
@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("name", ["iris", "wine", "iris_versicolor_virginica"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_sample_weight_matches_logistic_regression(solver, name, C, weights):
    X, y = dataset(name)
    softmax, logistic = fit_pair(X, y, C, solver, sample_weight=_weights(weights, y))
    assert_allclose(
        softmax.predict_proba(X), logistic.predict_proba(X), rtol=0, atol=PROBA_ATOL
    )
    assert_same_coefficients(softmax, logistic)


@pytest.mark.parametrize("weights", [None, "uniform"])
@pytest.mark.parametrize(
    "name, class_weight",
    [
        ("iris", "balanced"),
        ("iris", {0: 0.5, 2: 3.0}),
        ("wine", "balanced"),
        ("iris_versicolor_vs_rest", "balanced"),
        ("iris_versicolor_virginica", {2: 4.0}),
        ("breast_cancer", {0: 0.25, 1: 2.0}),
    ],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_class_weight_matches_logistic_regression(solver, name, class_weight, weights):
    X, y = dataset(name)
    softmax, logistic = fit_pair(
        X,
        y,
        1.0,
        solver,
        sample_weight=_weights(weights, y),
        class_weight=class_weight,
    )
    assert_allclose(
        softmax.predict_proba(X), logistic.predict_proba(X), rtol=0, atol=PROBA_ATOL
    )
    assert_same_coefficients(softmax, logistic)


# --------------------------------------------------------------------------
# alpha = 0: the maximum-likelihood estimate, against scipy on our own NLL.


def noisy_problem(n_classes, n_samples=400, n_features=3, seed=0):
    """Labels drawn from a softmax model: overlapping classes, so the MLE exists."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    W = rng.normal(size=(n_classes, n_features))
    b = rng.normal(size=n_classes)
    Z = X @ W.T + b
    P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
    u = rng.uniform(size=(n_samples, 1))
    y = np.minimum((np.cumsum(P, axis=1) < u).sum(axis=1), n_classes - 1)
    return X, y


def reference_logit_differences(X, y, sample_weight):
    """Unpenalised weighted multinomial MLE with class 0 as reference (scipy).

    Returns the fitted ``Z[:, k] - Z[:, 0]`` for k = 1..K-1, which identify
    the model uniquely whatever its parameterisation.
    """
    n, d = X.shape
    K = int(y.max()) + 1
    Xa = np.hstack([X, np.ones((n, 1))])
    Y = np.eye(K)[y]
    w = sample_weight / sample_weight.sum()

    def nll(theta):
        Z = np.hstack([np.zeros((n, 1)), Xa @ theta.reshape(K - 1, d + 1).T])
        lse = logsumexp(Z, axis=1)
        P = np.exp(Z - lse[:, None])
        value = w @ (lse - Z[np.arange(n), y])
        grad = ((w[:, None] * (P - Y))[:, 1:]).T @ Xa
        return value, grad.ravel()

    res = minimize(
        nll,
        np.zeros((K - 1) * (d + 1)),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-11, "maxiter": 10_000},
    )
    assert np.max(np.abs(res.jac)) < 1e-9
    return Xa @ res.x.reshape(K - 1, d + 1).T


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("solver", SOLVERS)
def test_unpenalised_fit_matches_maximum_likelihood(solver, n_classes, weighted):
    X, y = noisy_problem(n_classes)
    assert np.array_equal(np.unique(y), np.arange(n_classes))
    rng = np.random.default_rng(1)
    sample_weight = rng.uniform(0.2, 2.0, size=len(y)) if weighted else None
    model = SoftmaxClassifier(alpha=0.0, solver=solver, tol=TOL, max_iter=20_000).fit(
        X, y, sample_weight=sample_weight
    )
    assert model.converged_
    reference = reference_logit_differences(
        X, y, np.ones(len(y)) if sample_weight is None else sample_weight
    )
    decision = model.decision_function(X)
    if n_classes == 2:
        differences = decision[:, None]
    else:
        differences = decision[:, 1:] - decision[:, [0]]
    assert_allclose(differences, reference, rtol=0, atol=1e-5)


# --------------------------------------------------------------------------
# Tight tolerances, and what `converged_` certifies.


def gradient_max(model, X, y, sample_weight=None):
    """Largest entry of the L2-penalised objective's gradient at coef_/intercept_.

    Written from the objective in docs/developer/architecture.rst, independently
    of sk_softmax:
    ``grad_W = G.T X + alpha W`` and ``grad_b = sum_i G_i`` with
    ``G = S (P - Y) / sum(s)``, restricted to the free classes.
    """
    Z = X @ model.coef_.T + model.intercept_
    binary = Z.shape[1] == 1
    if binary:
        Z = np.hstack([np.zeros_like(Z), Z])
    P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
    Y = np.eye(Z.shape[1])[np.searchsorted(model.classes_, y)]
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    G = s[:, None] * (P - Y) / s.sum()
    if binary:
        G = G[:, 1:]
    grad_W = G.T @ X + model.alpha * model.coef_
    grad = np.abs(grad_W).max()
    if model.fit_intercept:
        grad = max(grad, np.abs(G.sum(axis=0)).max())
    return grad


# The tightest tolerance each solver documents for float64 data. lbfgs runs
# scipy's line search on objective values, which cannot resolve the decrease
# left once the gradient is near 1e-9 (SoftmaxClassifier's docstring).
TIGHTEST_TOL = {"gd": 1e-10, "newton-cg": 1e-10, "lbfgs": 1e-8}


@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_solver_reaches_its_tightest_tolerance_in_float64(solver, name, C):
    """Each full-batch solver reaches its documented tightest tolerance (1e-10,
    far above float64 rounding for these well-scaled problems, for gd and
    newton-cg) within a modest budget."""
    X, y = dataset(name)
    tol = TIGHTEST_TOL[solver]
    model = SoftmaxClassifier(
        alpha=1.0 / (C * len(y)), solver=solver, tol=tol, max_iter=2_000
    ).fit(X, y)
    grad = gradient_max(model, X, y)
    assert model.converged_, f"stalled after {model.n_iter_} iterations at {grad:.3g}"
    assert grad <= tol, f"converged_ is True but the gradient is {grad:.3g}"


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
def test_lbfgs_below_its_floor_says_so(name):
    """Asked for more than its line search can resolve, lbfgs either gets there
    or warns and reports converged_=False; it never claims a tolerance it missed."""
    X, y = dataset(name)
    model = SoftmaxClassifier(alpha=1.0 / len(y), solver="lbfgs", tol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    grad = gradient_max(model, X, y)
    if model.converged_:
        assert grad <= 1e-12
    else:
        messages = [str(w.message) for w in caught]
        assert any("'lbfgs' did not converge" in m for m in messages), messages
        assert grad < 1e-7  # it still got as far as float64 allows


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("tol", [1e-4, 1e-6, 1e-8])
@pytest.mark.parametrize("name", MULTICLASS + BINARY)
@pytest.mark.parametrize("solver", SOLVERS)
def test_converged_certifies_the_gradient_at_the_returned_model(solver, name, tol):
    """`converged_` is True exactly when the fitted model meets `tol`: the
    largest entry of the objective's gradient at coef_/intercept_ is at most
    `tol` (SoftmaxClassifier's docstring)."""
    X, y = dataset(name)
    model = SoftmaxClassifier(alpha=1e-3, solver=solver, tol=tol, max_iter=5_000)
    model.fit(X, y)
    if model.converged_:
        grad = gradient_max(model, X, y)
        assert grad <= tol, f"converged_ is True but the gradient is {grad:.3g}"
