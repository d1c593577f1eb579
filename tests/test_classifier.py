"""SoftmaxClassifier as an estimator: conventions, dtypes, labels, weights, state."""

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, logsumexp
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def problem(kind):
    """A standardised multiclass or binary problem."""
    X, y = _iris()
    if kind == "binary":
        return X[y > 0], y[y > 0]
    return X, y


KINDS = ["binary", "multiclass"]
SOLVERS = ["gd", "newton-cg", "lbfgs"]


def objective(model, X, y, sample_weight=None):
    """The objective at the fitted coefficients, computed here."""
    Z = X @ model.coef_.T + model.intercept_
    if len(model.classes_) == 2:
        Z = np.hstack([np.zeros_like(Z), Z])
    index = np.searchsorted(model.classes_, y)
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    cross_entropy = s @ (logsumexp(Z, axis=1) - Z[np.arange(len(y)), index])
    W = model.coef_
    penalty = model.alpha * (
        (1 - model.l1_ratio) / 2 * np.sum(W**2) + model.l1_ratio * np.abs(W).sum()
    )
    return cross_entropy / s.sum() + penalty


# ----------------------------------------------------------------- conventions


def test_binary_follows_scikit_learn_conventions():
    X, y = problem("binary")
    model = SoftmaxClassifier().fit(X, y)
    n, d = X.shape
    assert_array_equal(model.classes_, [1, 2])
    assert model.coef_.shape == (1, d)
    assert model.intercept_.shape == (1,)
    decision = model.decision_function(X)
    assert decision.shape == (n,)
    assert_allclose(decision, X @ model.coef_[0] + model.intercept_[0], rtol=1e-12)
    proba = model.predict_proba(X)
    assert proba.shape == (n, 2)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(proba[:, 1], expit(decision), rtol=1e-12)
    assert_array_equal(model.predict(X), model.classes_[(decision > 0).astype(int)])
    # Both classes are actually predicted: the test is not vacuous.
    assert set(model.predict(X)) == {1, 2}


def test_multiclass_shapes():
    X, y = problem("multiclass")
    model = SoftmaxClassifier().fit(X, y)
    n, d = X.shape
    assert model.coef_.shape == (3, d)
    assert model.intercept_.shape == (3,)
    assert model.decision_function(X).shape == (n, 3)
    assert_allclose(
        model.decision_function(X), X @ model.coef_.T + model.intercept_, rtol=1e-12
    )
    assert model.predict_proba(X).shape == (n, 3)
    assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_predict_is_argmax_of_proba_and_decision(kind):
    X, y = problem(kind)
    model = SoftmaxClassifier(alpha=1e-2).fit(X, y)
    predicted = model.predict(X)
    assert_array_equal(predicted, model.classes_[np.argmax(model.predict_proba(X), 1)])
    decision = model.decision_function(X)
    if decision.ndim == 2:
        assert_array_equal(predicted, model.classes_[np.argmax(decision, axis=1)])
    assert len(np.unique(predicted)) == len(model.classes_)


@pytest.mark.parametrize("kind", KINDS)
def test_predict_log_proba_is_computed_directly(kind):
    X, y = problem(kind)
    model = SoftmaxClassifier(alpha=1e-3).fit(X, y)
    # Ordinary logits: the same as log(predict_proba).
    assert_allclose(
        model.predict_log_proba(X),
        np.log(model.predict_proba(X)),
        rtol=1e-10,
        atol=1e-12,
    )
    # Huge logits: probabilities underflow to 0, their logs must not be -inf.
    X_big = X * 1e6
    with np.errstate(divide="ignore"):
        naive = np.log(model.predict_proba(X_big))
    log_proba = model.predict_log_proba(X_big)
    assert np.isinf(naive).any(), "the scaling must make log(predict_proba) -inf"
    assert np.all(np.isfinite(log_proba))
    assert np.all(log_proba <= 0)
    finite = np.isfinite(naive)
    assert_allclose(log_proba[finite], naive[finite], rtol=1e-10, atol=1e-12)
    # Where one logit dominates, log P_k is the logit gap to the largest one.
    Z = X_big @ model.coef_.T + model.intercept_
    if Z.shape[1] == 1:
        Z = np.hstack([np.zeros_like(Z), Z])
    assert_allclose(log_proba, Z - Z.max(axis=1, keepdims=True), rtol=1e-9)


def test_fit_intercept_false_has_zero_intercept():
    X, y = problem("multiclass")
    model = SoftmaxClassifier(fit_intercept=False).fit(X, y)
    assert_array_equal(model.intercept_, np.zeros(3))
    assert_allclose(model.decision_function(X), X @ model.coef_.T, rtol=1e-12)


# ----------------------------------------------------------- dtypes and sparse


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_stays_float32(solver, kind, fit_intercept, sparse):
    X, y = problem(kind)
    X32 = X.astype(np.float32)
    X_fit = sp.csr_matrix(X32) if sparse else X32
    # A tolerance float32 arithmetic can certify; lbfgs's value-based line search
    # resolves less in float32 (documented floor 1e-4).
    alpha, tol = 0.1, (1e-4 if solver == "lbfgs" else 1e-5)
    model = SoftmaxClassifier(
        alpha=alpha,
        tol=tol,
        max_iter=5_000,
        solver=solver,
        fit_intercept=fit_intercept,
    ).fit(X_fit, y)
    assert model.converged_
    assert model.coef_.dtype == np.float32
    assert model.intercept_.dtype == np.float32
    for method in ["predict_proba", "predict_log_proba", "decision_function"]:
        assert getattr(model, method)(X_fit).dtype == np.float32, method
    reference = SoftmaxClassifier(
        alpha=alpha, tol=1e-10, solver="newton-cg", fit_intercept=fit_intercept
    ).fit(X, y)
    # The penalty gives the weights a curvature of at least alpha, so a gradient
    # of at most tol per entry leaves them about sqrt(n_dof) * tol / alpha from
    # the optimum.
    bound = np.sqrt(model.coef_.size + model.intercept_.size) * tol / alpha
    assert_allclose(model.coef_, reference.coef_, rtol=0, atol=bound)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_csr_input_gives_the_dense_model(solver, kind, weighted):
    X, y = problem(kind)
    X = np.where(np.abs(X) < 0.7, 0.0, X)  # genuinely sparse
    sample_weight = np.random.default_rng(0).uniform(0, 2, len(y)) if weighted else None
    # Both fits about sqrt(n_dof) * tol / alpha < 5e-7 from the same optimum.
    params = {"alpha": 0.1, "tol": 1e-8, "max_iter": 10_000, "solver": solver}
    dense = SoftmaxClassifier(**params).fit(X, y, sample_weight=sample_weight)
    sparse = SoftmaxClassifier(**params).fit(
        sp.csr_matrix(X), y, sample_weight=sample_weight
    )
    assert dense.converged_ and sparse.converged_
    assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-6)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=0, atol=1e-6)
    assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-6
    )
    assert_allclose(
        dense.decision_function(sp.csr_matrix(X)), dense.decision_function(X)
    )


# --------------------------------------------------------------------- labels


LABEL_CODES = {
    "strings": np.array(["virginica", "setosa", "versicolor"]),
    "integers": np.array([10, -5, 3]),
    "integral_floats": np.array([2.0, -1.0, 0.0]),
}


@pytest.mark.parametrize("container", ["array", "categorical"])
@pytest.mark.parametrize("codes", list(LABEL_CODES))
def test_labels_are_sorted_and_returned(codes, container):
    X, y_int = problem("multiclass")
    labels = LABEL_CODES[codes][y_int]
    if container == "categorical":
        # Categories deliberately in neither sorted nor appearance order.
        categories = list(LABEL_CODES[codes][[1, 0, 2]])
        labels = pd.Series(pd.Categorical(labels, categories=categories))
    model = SoftmaxClassifier().fit(X, labels)
    expected_classes = np.sort(LABEL_CODES[codes])
    assert_array_equal(model.classes_, expected_classes)
    # The same model as fitting the sorted integer codes.
    codes_fit = SoftmaxClassifier().fit(X, np.searchsorted(expected_classes, labels))
    assert_array_equal(model.coef_, codes_fit.coef_)
    assert_array_equal(model.predict(X), expected_classes[codes_fit.predict(X)])
    assert model.score(X, labels) > 0.9


# -------------------------------------------------------------------- weights


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_balanced_class_weight_equals_sample_weight(kind, weighted):
    X, y = problem(kind)
    y = y[:-30] if kind == "multiclass" else y[:-25]  # unbalance the classes
    X = X[: len(y)]
    rng = np.random.default_rng(3)
    sample_weight = rng.uniform(0.5, 2, len(y)) if weighted else np.ones(len(y))
    classes, index = np.unique(y, return_inverse=True)
    totals = np.bincount(index, weights=sample_weight)
    per_class = totals.sum() / (len(classes) * totals)
    assert not np.allclose(per_class, 1.0)
    balanced = SoftmaxClassifier(class_weight="balanced", tol=1e-8).fit(
        X, y, sample_weight=sample_weight if weighted else None
    )
    explicit = SoftmaxClassifier(tol=1e-8).fit(
        X, y, sample_weight=sample_weight * per_class[index]
    )
    assert_allclose(balanced.coef_, explicit.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(balanced.intercept_, explicit.intercept_, rtol=1e-9, atol=1e-12)
    unweighted = SoftmaxClassifier(tol=1e-8).fit(X, y, sample_weight=sample_weight)
    assert not np.allclose(balanced.coef_, unweighted.coef_, atol=1e-3)


@pytest.mark.parametrize(
    "kind, class_weight",
    [
        ("multiclass", {0: 0.5, 2: 3.0}),
        ("multiclass", {1: 0.0}),
        ("binary", {2: 4.0}),
        ("binary", {1: 0.25, 2: 2.0}),
    ],
)
def test_class_weight_dict_equals_sample_weight(kind, class_weight):
    X, y = problem(kind)
    per_sample = np.array([class_weight.get(label, 1.0) for label in y])
    weighted = SoftmaxClassifier(class_weight=class_weight, tol=1e-8).fit(X, y)
    explicit = SoftmaxClassifier(tol=1e-8).fit(X, y, sample_weight=per_sample)
    assert_allclose(weighted.coef_, explicit.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(weighted.intercept_, explicit.intercept_, rtol=1e-9, atol=1e-12)
    assert_array_equal(weighted.classes_, np.unique(y))


@pytest.mark.parametrize("kind", KINDS)
def test_integer_sample_weight_equals_repeating_samples(kind):
    X, y = problem(kind)
    counts = np.random.default_rng(7).integers(0, 3, len(y))
    params = {"alpha": 1e-2, "tol": 1e-9, "max_iter": 10_000}
    weighted = SoftmaxClassifier(**params).fit(X, y, sample_weight=counts)
    repeated = SoftmaxClassifier(**params).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    assert_allclose(weighted.coef_, repeated.coef_, rtol=0, atol=1e-6)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=0, atol=1e-6)


# ----------------------------------------------------------------- warm start


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_resumes_from_previous_solution(solver, kind):
    X, y = problem(kind)
    params = {"alpha": 0.1, "tol": 1e-8, "max_iter": 10_000, "solver": solver}
    model = SoftmaxClassifier(warm_start=True, **params).fit(X, y)
    cold_iterations = model.n_iter_
    coef = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_ < cold_iterations
    assert model.n_iter_ <= 2
    assert_allclose(model.coef_, coef, rtol=0, atol=1e-5)
    # A warm start on other data still reaches that data's optimum.
    subset = np.arange(len(y)) % 3 != 0
    cold = SoftmaxClassifier(**params).fit(X[subset], y[subset])
    model.fit(X[subset], y[subset])
    assert_allclose(model.coef_, cold.coef_, rtol=0, atol=1e-5)
    # Without warm_start the refit starts from zero again.
    model.set_params(warm_start=False).fit(X, y)
    assert model.n_iter_ == cold_iterations


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_with_different_classes_starts_from_zero(solver):
    X, y = problem("multiclass")
    model = SoftmaxClassifier(warm_start=True, solver=solver).fit(X, y)
    relabelled = np.where(y == 2, 7, y)
    model.fit(X, relabelled)
    cold = SoftmaxClassifier(warm_start=True, solver=solver).fit(X, relabelled)
    assert_array_equal(model.classes_, [0, 1, 7])
    assert model.n_iter_ == cold.n_iter_
    assert_array_equal(model.coef_, cold.coef_)
    assert_array_equal(model.intercept_, cold.intercept_)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_with_different_features_starts_from_zero(solver):
    X, y = problem("multiclass")
    model = SoftmaxClassifier(warm_start=True, solver=solver).fit(X, y)
    model.fit(X[:, :3], y)
    cold = SoftmaxClassifier(solver=solver).fit(X[:, :3], y)
    assert model.n_features_in_ == 3
    assert model.n_iter_ == cold.n_iter_
    assert_array_equal(model.coef_, cold.coef_)


# --------------------------------------------------------- fitted attributes


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_fitted_attributes(solver, kind):
    X, y = problem(kind)
    columns = [f"feature {j}" for j in range(X.shape[1])]
    model = SoftmaxClassifier(alpha=1e-3, solver=solver)
    model.fit(pd.DataFrame(X, columns=columns), y)
    assert type(model.n_iter_) is int
    assert type(model.converged_) is bool
    assert model.converged_
    assert 1 <= model.n_iter_ <= model.max_iter
    assert isinstance(model.loss_curve_, list)
    assert len(model.loss_curve_) == model.n_iter_
    curve = np.asarray(model.loss_curve_)
    assert np.all(np.isfinite(curve))
    assert np.all(np.diff(curve) <= 0), "the objective must never increase"
    assert curve[-1] < curve[0]
    assert_allclose(curve[-1], objective(model, X, y), rtol=1e-10)
    assert model.n_features_in_ == X.shape[1]
    assert_array_equal(model.feature_names_in_, columns)
    assert model.feature_names_in_.dtype == object
    # A plain array has no feature names.
    assert not hasattr(SoftmaxClassifier().fit(X, y), "feature_names_in_")


@pytest.mark.parametrize("solver", SOLVERS)
def test_converged_is_false_when_max_iter_is_hit(solver):
    X, y = problem("multiclass")
    with pytest.warns(ConvergenceWarning):
        model = SoftmaxClassifier(max_iter=3, solver=solver).fit(X, y)
    assert model.converged_ is False
    assert model.n_iter_ == 3
    assert len(model.loss_curve_) == 3


# -------------------------------------------------------------------- penalty


def test_l1_gives_exact_zeros_growing_with_alpha():
    X, y = _wine()
    zeros = []
    for alpha in [1e-3, 1e-2, 1e-1]:
        model = SoftmaxClassifier(alpha=alpha, l1_ratio=1.0, tol=1e-7).fit(X, y)
        assert model.converged_
        zeros.append(int(np.sum(model.coef_ == 0.0)))
        assert zeros[-1] < model.coef_.size  # not the trivial all-zero model
    assert zeros[0] > 0
    assert zeros[0] < zeros[1] < zeros[2]
    ridge = SoftmaxClassifier(alpha=1e-2, l1_ratio=0.0, tol=1e-7).fit(X, y)
    assert np.all(ridge.coef_ != 0.0)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_l1_solution_satisfies_optimality_conditions(l1_ratio):
    """Subgradient (KKT) conditions of the elastic-net objective, from scratch."""
    X, y = _wine()
    alpha = 0.02
    model = SoftmaxClassifier(alpha=alpha, l1_ratio=l1_ratio, tol=1e-9).fit(X, y)
    assert model.converged_
    Z = X @ model.coef_.T + model.intercept_
    P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
    G = (P - np.eye(3)[y]) / len(y)
    W = model.coef_
    smooth = G.T @ X + alpha * (1 - l1_ratio) * W
    l1 = alpha * l1_ratio
    nonzero = W != 0
    assert nonzero.any() and (~nonzero).any()
    assert_allclose(smooth[nonzero], -l1 * np.sign(W[nonzero]), rtol=0, atol=1e-7)
    assert np.all(np.abs(smooth[~nonzero]) <= l1 + 1e-7)
    assert_allclose(G.sum(axis=0), 0.0, atol=1e-8)


# ----------------------------------------------------------------- reporting


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_prints_one_line_per_iteration(solver, capsys):
    X, y = problem("multiclass")
    model = SoftmaxClassifier(verbose=1, solver=solver).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == model.n_iter_ > 1
    for k, line in enumerate(lines, start=1):
        assert re.search(rf"\biteration {k}\b", line), line
    SoftmaxClassifier(verbose=0, solver=solver).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("solver", SOLVERS)
def test_convergence_warning_says_what_to_change(solver):
    X, y = problem("multiclass")
    with pytest.warns(ConvergenceWarning, match="max_iter") as record:
        model = SoftmaxClassifier(max_iter=1, solver=solver).fit(X, y)
    message = str(record[0].message)
    assert "Increase max_iter" in message
    assert "max_iter=1" in message
    assert model.n_iter_ == 1
    assert model.converged_ is False
    # The warning points at the caller, not at sk_softmax internals.
    assert record[0].filename == __file__


@pytest.mark.parametrize("kind", KINDS)
def test_score_is_accuracy(kind):
    X, y = problem(kind)
    model = SoftmaxClassifier(alpha=1.0).fit(X, y)  # strong penalty: some errors
    predicted = model.predict(X)
    accuracy = np.mean(predicted == y)
    assert 0.5 < accuracy < 1.0
    assert model.score(X, y) == pytest.approx(accuracy)
    weights = np.where(predicted == y, 1.0, 3.0)
    expected = np.sum(weights * (predicted == y)) / weights.sum()
    assert model.score(X, y, sample_weight=weights) == pytest.approx(expected)


def _solver_used(model, X, y, capsys):
    model.set_params(verbose=1, max_iter=3, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    first = capsys.readouterr().out.splitlines()[0]
    return re.match(r"\[([a-z-]+)\]", first).group(1)


def test_auto_solver_follows_its_documented_rule(capsys):
    rng = np.random.default_rng(0)
    X, y = problem("multiclass")
    auto = SoftmaxClassifier(solver="auto")
    assert _solver_used(auto, X, y, capsys) == "lbfgs"  # few rows per coefficient
    assert _solver_used(auto, sp.csr_matrix(X), y, capsys) == "newton-cg"  # sparse
    auto_l1 = SoftmaxClassifier(solver="auto", l1_ratio=0.5, alpha=0.01)
    assert _solver_used(auto_l1, X, y, capsys) == "prox-newton"
    # 80 rows per coefficient or more: newton-cg with a subsampled Hessian.
    n_dof = 3 * (X.shape[1] + 1)
    rows = rng.integers(0, len(y), size=80 * n_dof)
    assert _solver_used(auto, X[rows], y[rows], capsys) == "newton-cg"
    rows = rows[: 80 * n_dof - 1]
    assert _solver_used(auto, X[rows], y[rows], capsys) == "lbfgs"


def test_newton_cg_subsampled_hessian_reaches_the_exact_optimum():
    rng = np.random.default_rng(1)
    X, y = problem("multiclass")
    rows = rng.integers(0, len(y), size=2000)  # 133 rows per coefficient
    X, y = X[rows] + 0.3 * rng.normal(size=(2000, X.shape[1])), y[rows]
    fits = [
        SoftmaxClassifier(solver="newton-cg", alpha=1e-3, tol=1e-8, random_state=seed)
        for seed in (0, 0, 1)
    ]
    for model in fits:
        model.fit(X, y)
        assert model.converged_
    # Reproducible for a fixed random_state ...
    assert_array_equal(fits[0].coef_, fits[1].coef_)
    # ... and whatever the subsample, the gradient is exact: the optimum that a
    # much tighter full-gradient solve finds.
    exact = SoftmaxClassifier(solver="gd", alpha=1e-3, tol=1e-11, max_iter=100_000)
    exact.fit(X, y)
    assert exact.converged_
    for model in fits:
        assert_allclose(model.predict_proba(X), exact.predict_proba(X), atol=1e-6)


def test_newton_cg_subsample_keeps_a_rare_class_well_fitted():
    """The Hessian subsample is stratified: a class of 10 rows among 20,000 is
    still represented, so truncated Newton converges in few iterations."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 5))
    y = rng.integers(0, 2, 20_000)
    y[:10] = 2
    X[:10] += 3.0
    model = SoftmaxClassifier(solver="newton-cg", alpha=1e-4, tol=1e-6, random_state=0)
    model.fit(X, y)
    assert model.converged_
    assert model.n_iter_ <= 15
