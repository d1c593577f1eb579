"""softmax_path: shapes, the default grid, optimality at every alpha, screening."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sk_softmax._path_fit as path_fit
from sk_softmax import SoftmaxClassifier, log_softmax, softmax_path
from sk_softmax._path_data import PathData
from sk_softmax.utils._sklearn_compat import array_api_unavailable


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def sparse_signal():
    """Many columns, few informative: the strong rule has columns to drop."""
    X, y = make_classification(
        n_samples=300,
        n_features=120,
        n_informative=6,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def _weights(y, sample_weight=None, class_weight=None):
    classes = np.unique(y)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    if class_weight is not None:
        s = (
            s
            * np.array([class_weight.get(c, 1.0) for c in classes])[
                np.searchsorted(classes, y)
            ]
        )
    return s


def _gradients(X, y, coef, intercept, s):
    """Gradient of the weighted mean cross-entropy, written out independently."""
    classes = np.unique(y)
    K = len(classes)
    Y = (y[:, None] == classes[None, :]).astype(float)
    if K == 2:  # one row: the logit of the second class, the first's is 0
        z = np.column_stack([np.zeros(len(y)), X @ coef[0] + intercept[0]])
    else:
        z = X @ coef.T + intercept
    R = (np.exp(log_softmax(z, axis=1)) - Y) * (s / s.sum())[:, None]
    if K == 2:
        R = R[:, 1:]
    return R.T @ X, R.sum(axis=0)


def _assert_optimal(X, y, coef, intercept, alpha, l1_ratio, tol, s, fit_intercept):
    """The elastic-net optimality conditions hold to `tol` (proximal gradient)."""
    G, g_b = _gradients(X, y, coef, intercept, s)
    G = G + alpha * (1 - l1_ratio) * coef
    l1 = alpha * l1_ratio
    nonzero = coef != 0
    excess = np.where(
        nonzero, np.abs(G + l1 * np.sign(coef)), np.maximum(np.abs(G) - l1, 0)
    )
    assert excess.max() <= tol
    if fit_intercept:
        assert np.abs(g_b).max() <= tol


@pytest.mark.parametrize("n_classes", [2, 3])
def test_shapes_and_order(iris, n_classes):
    X, y = iris
    keep = y < n_classes
    alphas, coefs, intercepts, n_iters = softmax_path(
        X[keep], y[keep], alphas=[0.01, 1.0, 0.1]
    )
    rows = 1 if n_classes == 2 else n_classes
    np.testing.assert_array_equal(alphas, [1.0, 0.1, 0.01])  # largest first
    assert coefs.shape == (rows, 4, 3)
    assert intercepts.shape == (rows, 3)
    assert n_iters.shape == (3,) and np.all(n_iters >= 1)


@pytest.mark.parametrize(
    "l1_ratio, options",
    [
        (1.0, {}),
        (0.5, {"class_weight": {0: 3.0}}),
        (1.0, {"fit_intercept": False}),
        (1.0, {"sample_weight": np.arange(150) % 4}),
    ],
)
def test_alpha_max_is_the_smallest_penalty_with_every_coefficient_zero(
    iris, l1_ratio, options
):
    X, y = iris
    alphas, coefs, _, _ = softmax_path(
        X, y, l1_ratio=l1_ratio, n_alphas=3, eps=0.9, solver="gd", **options
    )
    np.testing.assert_allclose(alphas, alphas[0] * np.geomspace(1, 0.9, 3))
    assert np.abs(coefs[..., 0]).max() < 1e-12
    # Just below, some coefficient leaves zero.
    _, below, _, _ = softmax_path(
        X, y, alphas=[0.98 * alphas[0]], l1_ratio=l1_ratio, solver="gd", **options
    )
    assert np.abs(below).max() > 1e-6


def test_l2_grid_starts_at_the_l1_alpha_max(iris):
    X, y = iris
    l2, _, _, _ = softmax_path(X, y, n_alphas=2, eps=0.1)
    l1, _, _, _ = softmax_path(X, y, n_alphas=2, eps=0.1, l1_ratio=1.0, solver="gd")
    np.testing.assert_allclose(l2, l1)
    half, _, _, _ = softmax_path(X, y, n_alphas=2, l1_ratio=0.5, solver="gd")
    np.testing.assert_allclose(half[0], 2 * l1[0])


@pytest.mark.parametrize(
    "l1_ratio, solver", [(0.0, "lbfgs"), (0.0, "newton-cg"), (0.5, "gd"), (1.0, "gd")]
)
def test_every_point_of_the_path_is_optimal_to_tol(iris, l1_ratio, solver):
    X, y = iris
    tol = 1e-6
    sw = 1.0 + np.arange(150) % 3
    alphas, coefs, intercepts, _ = softmax_path(
        X,
        y,
        n_alphas=8,
        eps=1e-2,
        l1_ratio=l1_ratio,
        solver=solver,
        tol=tol,
        sample_weight=sw,
        class_weight={2: 2.0},
        max_iter=20_000,
    )
    s = _weights(y, sw, {2: 2.0})
    for k, alpha in enumerate(alphas):
        _assert_optimal(
            X, y, coefs[..., k], intercepts[:, k], alpha, l1_ratio, tol, s, True
        )


def test_path_matches_independent_fits(iris):
    """L2: the path and cold fits are each within tol/alpha of the optimum."""
    X, y = iris
    tol = 1e-8
    alphas, coefs, intercepts, _ = softmax_path(
        X, y, n_alphas=5, eps=1e-2, solver="newton-cg", tol=tol
    )
    for k, alpha in enumerate(alphas):
        clf = SoftmaxClassifier(alpha=alpha, solver="newton-cg", tol=tol).fit(X, y)
        # Strong convexity alpha: ||w - w*|| <= ||grad|| / alpha, for both.
        bound = 2 * np.sqrt(coefs[..., k].size + 3) * tol / alpha
        assert np.abs(coefs[..., k] - clf.coef_).max() <= bound
        assert np.abs(intercepts[:, k] - clf.intercept_).max() <= bound


def test_screened_path_equals_unscreened(sparse_signal):
    X, y = sparse_signal
    common = {"n_alphas": 12, "eps": 0.02, "l1_ratio": 1.0, "solver": "gd"}
    common.update(tol=1e-7, max_iter=20_000)
    _, screened, b_screened, _ = softmax_path(X, y, screening=True, **common)
    _, full, b_full, _ = softmax_path(X, y, screening=False, **common)
    np.testing.assert_allclose(screened, full, atol=1e-4)
    np.testing.assert_allclose(b_screened, b_full, atol=1e-4)
    # Dropped coefficients are exactly zero, and the supports agree.
    np.testing.assert_array_equal(
        np.abs(screened) > 1e-3, np.abs(full) > 1e-3, err_msg="supports differ"
    )


def test_screening_fits_fewer_columns(sparse_signal):
    X, y = sparse_signal
    data = PathData(X, y, None, None, True)
    template = SoftmaxClassifier(l1_ratio=1.0, solver="gd")
    alphas = np.geomspace(0.2, 0.05, 12)  # a fine grid: a sharp rule
    steps = list(path_fit.iter_path(template, data, alphas))
    widths = [len(step.columns) for step in steps]
    active = [int(np.any(step.coef != 0, axis=0).sum()) for step in steps]
    assert max(widths) < X.shape[1] // 4
    assert all(w >= a for w, a in zip(widths, active, strict=True))


def test_kkt_check_readmits_what_the_rule_dropped(sparse_signal, monkeypatch):
    """A rule that keeps one column only: the violators come back."""
    X, y = sparse_signal
    monkeypatch.setattr(
        path_fit._StrongRule,
        "keep",
        lambda self, alpha: (
            np.arange(X.shape[1]) == np.argmax(np.abs(self.gradient).max(axis=0))
        ),
    )
    common = {"n_alphas": 6, "eps": 0.1, "l1_ratio": 1.0, "solver": "gd"}
    common.update(tol=1e-7, max_iter=20_000)
    _, crippled, _, _ = softmax_path(X, y, **common)
    monkeypatch.undo()
    _, full, _, _ = softmax_path(X, y, screening=False, **common)
    np.testing.assert_allclose(crippled, full, atol=1e-4)
    assert (np.abs(full[..., -1]) > 1e-3).any(axis=0).sum() > 1


def test_sparse_and_float32(iris):
    X, y = iris
    _, dense, _, _ = softmax_path(X, y, n_alphas=4, l1_ratio=0.5, solver="gd")
    _, csr, _, _ = softmax_path(
        sp.csr_matrix(X), y, n_alphas=4, l1_ratio=0.5, solver="gd"
    )
    np.testing.assert_allclose(csr, dense, atol=1e-6)
    _, single, _, _ = softmax_path(X.astype(np.float32), y, n_alphas=4)
    assert single.dtype == np.float32


def test_integer_weights_equal_repeated_rows(iris):
    X, y = iris
    sw = np.arange(150) % 3
    common = {"n_alphas": 4, "solver": "newton-cg", "tol": 1e-10}
    a_w, weighted, _, _ = softmax_path(X, y, sample_weight=sw, **common)
    a_r, repeated, _, _ = softmax_path(X.repeat(sw, 0), y.repeat(sw), **common)
    np.testing.assert_allclose(a_w, a_r)
    np.testing.assert_allclose(weighted, repeated, atol=1e-7)


def test_convergence_warning_names_the_alpha(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"softmax_path at alpha=0\.01 \(step"):
        softmax_path(X, y, alphas=[0.01], solver="gd", max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converged: no warning at all
        softmax_path(X, y, alphas=[0.1, 0.01])


def test_dask_input_equals_numpy(iris):
    da = pytest.importorskip("dask.array")
    X, y = iris
    common = {"n_alphas": 3, "l1_ratio": 0.5, "solver": "gd", "tol": 1e-8}
    common["max_iter"] = 5000
    _, expected, _, _ = softmax_path(X, y, **common)
    _, got, _, _ = softmax_path(da.from_array(X, chunks=(50, 4)), y, **common)
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.skipif(
    array_api_unavailable() is not None,
    reason=f"no array API dispatch here: {array_api_unavailable()}",
)
def test_array_api_input_equals_numpy(iris):
    xp = pytest.importorskip("array_api_strict")
    from sklearn import config_context

    X, y = iris
    common = {"n_alphas": 3, "l1_ratio": 0.5, "solver": "gd", "tol": 1e-8}
    common["max_iter"] = 5000
    _, expected, _, _ = softmax_path(X, y, **common)
    with config_context(array_api_dispatch=True):
        _, got, _, _ = softmax_path(xp.asarray(X), xp.asarray(y), **common)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"alphas": []}, ValueError, "non-empty"),
        ({"alphas": [0.1, -1.0]}, ValueError, "non-negative"),
        ({"solver": "sgd"}, InvalidParameterError, "solver"),
        ({"l1_ratio": 0.5, "solver": "lbfgs"}, ValueError, "only the L2"),
        ({"eps": 0.0}, InvalidParameterError, "eps"),
        ({"sample_weight": -np.ones(150)}, ValueError, "non-negative"),
    ],
)
def test_bad_parameters(iris, kwargs, error, match):
    X, y = iris
    with pytest.raises(error, match=match):
        softmax_path(X, y, **kwargs)


def test_one_class_is_an_error(iris):
    X, _ = iris
    with pytest.raises(ValueError, match="at least 2 classes"):
        softmax_path(X, np.zeros(150))
