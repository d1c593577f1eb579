"""The proximal Newton solver with working sets (``solver='prox-newton'``).

Oracles: ``LogisticRegression(solver="saga")`` at ``tol=1e-10`` on the L1
problems of ``tests/test_l1.py`` (whose KKT margins make the sparsity pattern
unambiguous), our ``gd`` at a tight tolerance on a wider problem where the
working sets matter, ``newton-cg`` for the L2 penalty alone, and the full
objective's Hessian-vector products for the restricted quadratic model.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from test_l1 import kkt_margins, saga, sparse_truth

from sk_softmax import SoftmaxClassifier
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._optim._prox_newton import (
    _feature_violations,
    _next_damping,
    _working_set,
)
from sk_softmax._penalty import ElasticNet
from sk_softmax._solvers import check_solver


def objective_value(model, X, y, alpha, l1_ratio):
    """The penalised objective at a fitted model, by sk_softmax's formula."""
    K = len(model.classes_)
    obj = LinearSoftmaxLoss(
        X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64),
        np.searchsorted(model.classes_, y),
        K,
        penalty=ElasticNet(alpha, l1_ratio),
    )
    coef = obj.pack(model.coef_, model.intercept_)
    return obj.value(coef) + obj.nonsmooth_value(coef)


def centred(b):
    """Intercepts up to the constant the symmetric parameterisation leaves free."""
    return b - b.mean() if len(b) > 1 else b


def wide_problem(n_classes=4, n=300, d=120, seed=0, sparse=False, dtype=np.float64):
    """Labels from 5 informative features out of `d`: most weights are zero."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = np.zeros((n_classes, d))
    W[:, :5] = rng.normal(scale=2.0, size=(n_classes, 5))
    Z = X @ W.T
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    X = X.astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), y


@pytest.mark.parametrize(
    "n_classes, l1_ratio, alpha",
    [(3, 1.0, 0.05), (2, 0.5, 0.025)],
    ids=["K=3-l1", "K=2-enet"],
)
def test_matches_saga_sparsity_and_objective(n_classes, l1_ratio, alpha):
    X, y = sparse_truth(n_classes)
    oracle = saga(X, y, alpha, l1_ratio)
    model = SoftmaxClassifier(
        solver="prox-newton", alpha=alpha, l1_ratio=l1_ratio, tol=1e-10
    ).fit(X, y)
    assert model.converged_
    smallest, worst_ratio = kkt_margins(model, X, y)
    assert smallest > 0.05 and worst_ratio < 0.95  # the pattern is well defined
    assert_array_equal(model.coef_ == 0, oracle.coef_ == 0)
    ours = objective_value(model, X, y, alpha, l1_ratio)
    theirs = objective_value(oracle, X, y, alpha, l1_ratio)
    assert ours <= theirs + 1e-10
    assert np.abs(model.predict_proba(X) - oracle.predict_proba(X)).max() < 1e-6


@pytest.mark.parametrize("l1_ratio, alpha", [(1.0, 0.05), (0.5, 0.08)])
def test_matches_gd_where_working_sets_matter(l1_ratio, alpha):
    X, y = wide_problem()
    params = dict(alpha=alpha, l1_ratio=l1_ratio, tol=1e-9, max_iter=20_000)
    pn = SoftmaxClassifier(solver="prox-newton", **params).fit(X, y)
    gd = SoftmaxClassifier(solver="gd", **params).fit(X, y)
    assert pn.converged_ and gd.converged_
    support = np.any(pn.coef_ != 0, axis=0)
    assert 5 <= support.sum() < X.shape[1] // 2  # sparse, so working sets help
    assert_allclose(pn.predict_proba(X), gd.predict_proba(X), atol=1e-6)
    if l1_ratio < 1:  # strictly convex in W; pure L1 with K = 4 is not:
        # sum_c |w_c + t| is flat in t between the middle two weights.
        assert_allclose(pn.coef_, gd.coef_, atol=1e-6)
        assert_allclose(centred(pn.intercept_), centred(gd.intercept_), atol=1e-6)
    f_pn = objective_value(pn, X, y, alpha, l1_ratio)
    f_gd = objective_value(gd, X, y, alpha, l1_ratio)
    assert abs(f_pn - f_gd) <= 1e-10 * abs(f_gd)
    assert pn.n_iter_ < 30  # Newton steps, not gradient steps


@pytest.mark.parametrize("n_classes", [2, 3])
def test_l2_alone_agrees_with_newton_cg(n_classes):
    X, y = wide_problem(n_classes, d=20)
    params = dict(alpha=0.01, l1_ratio=0.0, tol=1e-9)
    pn = SoftmaxClassifier(solver="prox-newton", **params).fit(X, y)
    ncg = SoftmaxClassifier(solver="newton-cg", **params).fit(X, y)
    assert pn.converged_
    assert_allclose(pn.coef_, ncg.coef_, atol=1e-7)
    assert_allclose(centred(pn.intercept_), centred(ncg.intercept_), atol=1e-7)


def test_dense_csr_and_float32_agree():
    X, y = wide_problem(3, d=40)
    params = dict(solver="prox-newton", alpha=0.02, l1_ratio=1.0, tol=1e-8)
    dense = SoftmaxClassifier(**params).fit(X, y)
    csr = SoftmaxClassifier(**params).fit(sp.csr_matrix(X), y)
    assert_allclose(csr.coef_, dense.coef_, atol=1e-7)
    assert_array_equal(csr.coef_ == 0, dense.coef_ == 0)
    f32 = SoftmaxClassifier(**{**params, "tol": 1e-4}).fit(X.astype(np.float32), y)
    assert f32.coef_.dtype == np.float32
    assert f32.converged_
    assert_allclose(f32.coef_, dense.coef_, atol=2e-3)
    f32_csr = SoftmaxClassifier(**{**params, "tol": 1e-4}).fit(
        sp.csr_matrix(X.astype(np.float32)), y
    )
    assert f32_csr.coef_.dtype == np.float32
    assert_allclose(f32_csr.coef_, dense.coef_, atol=2e-3)


def test_max_iter_reports_unconverged_with_a_warning():
    X, y = wide_problem(3, d=40)
    model = SoftmaxClassifier(
        solver="prox-newton", alpha=0.01, l1_ratio=1.0, tol=1e-12, max_iter=1
    )
    with pytest.warns(ConvergenceWarning, match="prox-newton"):
        model.fit(X, y)
    assert not model.converged_
    assert model.n_iter_ == 1


def test_intercept_only_optimum_stops_at_once():
    X, y = wide_problem(3, d=10)
    model = SoftmaxClassifier(solver="prox-newton", alpha=10.0, l1_ratio=1.0).fit(X, y)
    assert model.converged_ and model.n_iter_ == 0
    assert not model.coef_.any()


def test_no_intercept():
    X, y = wide_problem(3, d=30)
    params = dict(alpha=0.02, l1_ratio=0.5, tol=1e-9, fit_intercept=False)
    pn = SoftmaxClassifier(solver="prox-newton", **params).fit(X, y)
    gd = SoftmaxClassifier(solver="gd", max_iter=20_000, **params).fit(X, y)
    assert_allclose(pn.coef_, gd.coef_, atol=1e-6)


@pytest.mark.parametrize("kind", ["dask", "array-api"])
def test_refuses_inputs_off_memory_naming_the_supported_solvers(kind):
    with pytest.raises(
        ValueError, match="solver='prox-newton' needs the data in memory"
    ) as info:
        check_solver("prox-newton", 1.0, 0.1, False, kind)
    assert "'gd'" in str(info.value) and "'auto'" in str(info.value)
    assert "prox-newton'," not in str(info.value).split("run the solvers")[1]
    check_solver("prox-newton", 1.0, 0.1, False, "numpy")


def test_refuses_dask_input_end_to_end():
    da = pytest.importorskip("dask.array")
    X, y = wide_problem(3, d=10)
    model = SoftmaxClassifier(solver="prox-newton", alpha=0.01, l1_ratio=1.0)
    with pytest.raises(ValueError, match="needs the data in memory"):
        model.fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100))


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("subsample", [False, True], ids=["all-rows", "row-subsample"])
def test_working_set_model_is_the_full_model_restricted(n_classes, sparse, subsample):
    X, y = wide_problem(n_classes, n=50, d=12, sparse=sparse)
    obj = LinearSoftmaxLoss(X, y, n_classes, penalty=ElasticNet(0.1, 0.3))
    if subsample:  # the Hessian (not the logits) from 20 rows, reweighted
        obj.data.sample_hessian_rows(20, 3, np.random.RandomState(0))
    rng = np.random.default_rng(1)
    coef = rng.normal(scale=0.3, size=obj.n_dof)
    columns = np.array([1, 4, 5, 11])
    layout, logits, hessp, diagonal = obj.working_set_model(
        coef, obj.raw(coef), columns
    )
    v = rng.normal(size=layout.n_dof)
    full = np.zeros(obj.n_dof)  # the same direction in the full layout
    W_full, b_full = obj.unpack(full)
    V, c = layout.unpack(v)
    W_full[:, columns], b_full[...] = V, c
    assert_allclose(logits(v), obj.raw(full), atol=1e-12)
    product = obj.gradient_hessian_product(coef)[2](full)
    PW, pb = obj.unpack(product)
    assert_allclose(hessp(v), np.concatenate([PW[:, columns].ravel(), pb]), atol=1e-12)
    # The diagonal, one unit vector at a time.
    expected = [hessp(np.eye(layout.n_dof)[i])[i] for i in range(layout.n_dof)]
    assert_allclose(diagonal, expected, rtol=1e-10, atol=1e-14)


def test_working_set_keeps_the_support_and_the_worst_violators():
    W = np.zeros((2, 6))
    W[0, 2] = 1.0
    gW = np.array([[0.0, 0.5, 0.0, 0.2, 0.05, 0.3], [0.0, -0.1, 0.1, -0.4, 0.0, 0.0]])
    # l1 = 0.1: violations at zero are |g| - 0.1, at W[0, 2] = 1 it is |0 + 0.1|.
    assert_allclose(_feature_violations(W, gW, 0.1), [0.0, 0.4, 0.1, 0.3, 0.0, 0.2])
    assert_array_equal(_working_set(W, gW, 0.1, 2), [1, 2])
    assert_array_equal(_working_set(W, gW, 0.1, 4), [1, 2, 3, 5])
    assert_array_equal(_working_set(W, gW, 0.1, 10), [1, 2, 3, 5])  # no non-violators


def test_tight_tol_is_reached_whatever_the_hessian_subsample():
    # 4,000 rows and 22 coefficients: the Hessian comes from a row subsample.
    # At tol=1e-10 the last steps decrease the objective by less than its
    # rounding error; they are taken when they reduce the optimality measure.
    X, y = sparse_truth(2)
    for seed in range(9):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            model = SoftmaxClassifier(
                solver="prox-newton",
                alpha=0.025,
                l1_ratio=0.5,
                tol=1e-10,
                random_state=seed,
            ).fit(X, y)
        assert model.converged_


def test_damping_follows_the_step_and_the_model_prediction():
    floor = 1e-8
    # A full step the model predicted well: fourfold less, then none at all.
    assert _next_damping(1.0, 1.0, 0.9, floor) == 0.25
    assert _next_damping(2e-8, 1.0, 0.9, floor) == 0.0
    assert _next_damping(0.0, 1.0, 0.9, floor) == 0.0
    # A middling prediction keeps it; a poor one quadruples it.
    assert _next_damping(1.0, 1.0, 0.5, floor) == 1.0
    assert _next_damping(1.0, 1.0, 0.1, floor) == 4.0
    # A shortened step raises it by 4 / t (at most 1e4), from the floor if zero.
    assert _next_damping(0.0, 0.5, 1.0, floor) == pytest.approx(8 * floor)
    assert _next_damping(1.0, 2.0**-20, 1.0, floor) == 1e4


def text_like(n, d, n_classes, nnz_per_row, seed=0):
    """Sparse rows of unit length and labels from a strong random model.

    Nearly separable: with a weak L1 penalty most features end in the support
    and the softmax saturates on most rows, where undamped Newton models are
    poor far from the optimum.
    """
    rng = np.random.default_rng(seed)
    indices = np.sort(rng.integers(0, d, size=(n, nnz_per_row)), axis=1)
    indptr = np.arange(0, n * nnz_per_row + 1, nnz_per_row)
    X = sp.csr_matrix(
        (rng.exponential(size=n * nnz_per_row), indices.ravel(), indptr), shape=(n, d)
    )
    X.sum_duplicates()
    X = sp.csr_matrix(sp.diags(1 / np.sqrt(X.multiply(X).sum(axis=1).A1)) @ X)
    Z = X @ rng.normal(0.0, 8.0, size=(n_classes, d)).T
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = np.minimum((P.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1), n_classes - 1)
    return X, y


@pytest.mark.slow
def test_wide_sparse_weak_penalty_converges_in_few_newton_steps():
    # 4,000 x 5,000 sparse, 20 classes, alpha a hundredth of alpha_max: 25
    # damped Newton steps reach tol=1e-8; without the damping it took 50.
    X, y = text_like(4000, 5000, 20, 50)
    obj = LinearSoftmaxLoss(X, y, 20, penalty=ElasticNet(0.0, 1.0))
    gradient = obj.value_gradient(obj.intercept_only_coef())[1]
    alpha = 0.01 * np.abs(obj.unpack(gradient)[0]).max()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SoftmaxClassifier(
            solver="prox-newton", alpha=alpha, l1_ratio=1.0, tol=1e-8, max_iter=35
        ).fit(X, y)
    assert model.converged_
    # gd started from there finds nothing lower.
    f_pn = objective_value(model, X, y, alpha, 1.0)
    model.set_params(solver="gd", warm_start=True, tol=1e-9, max_iter=2000).fit(X, y)
    assert objective_value(model, X, y, alpha, 1.0) >= f_pn - 1e-9 * abs(f_pn)
