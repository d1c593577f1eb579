"""SoftmaxClassifierCV: the choice GridSearchCV makes, the rules, routing, errors."""

from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import parallel_config
from sklearn import config_context
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.metrics import get_scorer, log_loss
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
)

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV


def _scaled(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris():
    return _scaled(load_iris)


def _sparse_problem():
    """A sparse, text-like binary problem: 300 x 200 CSR, 5% non-zeros."""
    rng = np.random.default_rng(0)
    X = sp.random(300, 200, density=0.05, format="csr", random_state=rng)
    w = rng.normal(size=200) * 3
    y = (X @ w + 0.3 * rng.normal(size=300) > 0).astype(int)
    return X, y


def _splits(X, y, n_splits=5):
    return list(StratifiedKFold(n_splits, shuffle=True, random_state=0).split(X, y))


def _assert_agrees_with_grid_search(X, y, alphas, *, fit_params=None, **params):
    """Same folds, same grid, tight tolerance: same alpha, scores, probabilities.

    Both sides stop at a gradient of `tol` (1e-10 here), which leaves the
    coefficients within about ``tol / alpha`` of the optimum.
    """
    fit_params = fit_params or {}
    l1_ratio = params.pop("l1_ratio", 0.0)
    splits = _splits(X, y)
    cv = SoftmaxClassifierCV(
        alphas=alphas, l1_ratios=[l1_ratio], cv=splits, **params
    ).fit(X, y, **fit_params)
    search = GridSearchCV(
        SoftmaxClassifier(l1_ratio=l1_ratio, **params),
        {"alpha": np.sort(alphas)[::-1]},
        cv=splits,
        scoring="neg_log_loss",
    ).fit(X, y, **fit_params)
    assert cv.alpha_ == search.best_params_["alpha"]
    np.testing.assert_allclose(
        cv.cv_results_["mean_test_score"],
        search.cv_results_["mean_test_score"],
        rtol=1e-6,
    )
    np.testing.assert_allclose(cv.predict_proba(X), search.predict_proba(X), atol=1e-6)
    return cv


def test_agrees_with_grid_search_on_iris(iris):
    X, y = iris
    alphas = np.geomspace(0.3, 1e-4, 8)
    _assert_agrees_with_grid_search(X, y, alphas, solver="newton-cg", tol=1e-10)


@pytest.mark.slow
def test_agrees_with_grid_search_on_wine_with_class_weights():
    X, y = _scaled(load_wine)
    alphas = np.geomspace(0.3, 1e-4, 6)
    _assert_agrees_with_grid_search(
        X, y, alphas, solver="newton-cg", tol=1e-10, class_weight="balanced"
    )


def test_agrees_with_grid_search_on_sparse_data():
    X, y = _sparse_problem()
    alphas = np.geomspace(0.1, 1e-4, 6)
    cv = _assert_agrees_with_grid_search(X, y, alphas, solver="newton-cg", tol=1e-10)
    assert cv.coef_.shape == (1, 200)


def test_agrees_with_grid_search_with_sample_weights_routed(iris):
    """Weights reach the fits and the scorer on both sides, by routing."""
    X, y = iris
    sw = 1.0 + np.arange(150) % 4
    with config_context(enable_metadata_routing=True):
        scorer = get_scorer("neg_log_loss").set_score_request(sample_weight=True)
        splits = _splits(X, y)
        alphas = np.geomspace(0.3, 1e-4, 6)
        cv = SoftmaxClassifierCV(
            alphas=alphas, cv=splits, scoring=scorer, solver="newton-cg", tol=1e-10
        ).fit(X, y, sample_weight=sw)
        search = GridSearchCV(
            SoftmaxClassifier(solver="newton-cg", tol=1e-10).set_fit_request(
                sample_weight=True
            ),
            {"alpha": alphas},
            cv=splits,
            scoring=scorer,
        ).fit(X, y, sample_weight=sw)
    assert cv.alpha_ == search.best_params_["alpha"]
    np.testing.assert_allclose(
        cv.cv_results_["mean_test_score"],
        search.cv_results_["mean_test_score"],
        rtol=1e-6,
    )
    np.testing.assert_allclose(cv.predict_proba(X), search.predict_proba(X), atol=1e-6)


@pytest.mark.slow
def test_agrees_with_grid_search_elastic_net(iris):
    X, y = iris
    alphas = np.geomspace(0.3, 1e-3, 5)
    _assert_agrees_with_grid_search(
        X, y, alphas, solver="gd", tol=1e-8, max_iter=50_000, l1_ratio=0.5
    )


@pytest.mark.slow
def test_agrees_with_grid_search_on_digits():
    X, y = _scaled(load_digits)
    alphas = 1 / (np.logspace(-3, 2, 10) * 1437)
    _assert_agrees_with_grid_search(X, y, alphas, solver="newton-cg", tol=1e-10)


def test_default_score_equals_scikit_learns_scorer(iris):
    X, y = iris
    common = {"alphas": 5, "cv": _splits(X, y, 3), "refit": False}
    fast = SoftmaxClassifierCV(**common).fit(X, y)
    generic = SoftmaxClassifierCV(scoring=get_scorer("neg_log_loss"), **common)
    generic.fit(X, y)
    np.testing.assert_allclose(
        fast.cv_results_["mean_test_score"],
        generic.cv_results_["mean_test_score"],
        rtol=1e-12,
    )


def test_one_standard_error_rule(iris):
    X, y = iris
    best = SoftmaxClassifierCV(alphas=12).fit(X, y)
    one_se = SoftmaxClassifierCV(alphas=12, selection="one_se").fit(X, y)
    results = one_se.cv_results_
    mean, sem = results["mean_test_score"], results["sem_test_score"]
    i_best = int(np.argmax(mean))
    within = mean >= mean[i_best] - sem[i_best]
    expected = results["param_alpha"][within].max()
    assert one_se.alpha_ == expected
    assert one_se.alpha_ >= best.alpha_
    assert best.alpha_ == results["param_alpha"][i_best]
    assert results["rank_test_score"][best.best_index_] == 1
    scores = np.stack([results[f"split{k}_test_score"] for k in range(5)])
    np.testing.assert_allclose(sem, scores.std(axis=0, ddof=1) / np.sqrt(5))


def test_cv_results_is_a_data_frame_and_grid_over_l1_ratios(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    cv = SoftmaxClassifierCV(alphas=4, l1_ratios=[0.0, 0.5], cv=3).fit(X, y)
    frame = pd.DataFrame(cv.cv_results_)
    assert len(frame) == 8
    assert frame["param_l1_ratio"].tolist() == [0.0] * 4 + [0.5] * 4
    assert {"mean_test_score", "std_test_score", "rank_test_score"} <= set(frame)
    assert cv.alphas_.shape == (2, 4)
    # Each l1_ratio has its own grid, from its own alpha_max.
    np.testing.assert_allclose(cv.alphas_[1, 0], 2 * cv.alphas_[0, 0])
    assert cv.coef_path_.shape == (2, 3, 3, 4, 4)
    assert cv.intercept_path_.shape == (2, 3, 3, 4)
    assert cv.n_iter_.shape == (2, 3, 4)
    row = frame.iloc[cv.best_index_]
    assert (row["param_alpha"], row["param_l1_ratio"]) == (cv.alpha_, cv.l1_ratio_)


def test_refit_model_and_methods(iris):
    X, y = iris
    cv = SoftmaxClassifierCV(alphas=5).fit(X, y)
    assert isinstance(cv.estimator_, SoftmaxClassifier)
    assert cv.estimator_.alpha == cv.alpha_ and not cv.estimator_.warm_start
    np.testing.assert_array_equal(cv.predict(X), cv.estimator_.predict(X))
    np.testing.assert_allclose(
        cv.predict_log_proba(X), cv.estimator_.predict_log_proba(X)
    )
    np.testing.assert_allclose(
        cv.decision_function(X), cv.estimator_.decision_function(X)
    )
    assert cv.score(X, y) == pytest.approx(-log_loss(y, cv.predict_proba(X)))
    no_refit = SoftmaxClassifierCV(alphas=5, refit=False).fit(X, y)
    assert no_refit.alpha_ == cv.alpha_
    assert not hasattr(no_refit, "predict") and not hasattr(no_refit, "estimator_")


def test_string_labels_and_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    cv = SoftmaxClassifierCV(alphas=4, cv=3).fit(frame, labels)
    np.testing.assert_array_equal(cv.classes_, labels[[0, 50, 100]])
    np.testing.assert_array_equal(cv.feature_names_in_, ["a", "b", "c", "d"])
    assert cv.predict(frame[:1])[0] == "setosa"
    with pytest.raises(ValueError, match="feature names"):
        cv.predict(frame.rename(columns={"a": "z"}))


@pytest.mark.parametrize(
    "backend", ["threading", pytest.param("loky", marks=pytest.mark.slow)]
)
def test_parallel_folds_equal_sequential(iris, backend):
    X, y = iris
    one = SoftmaxClassifierCV(alphas=5, n_jobs=1).fit(X, y)
    with parallel_config(backend=backend):
        two = SoftmaxClassifierCV(alphas=5, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(one.coef_, two.coef_)


class RecordingGroupKFold(GroupKFold):
    """GroupKFold that records the groups it splits by."""

    seen: ClassVar[list] = []

    def split(self, X, y=None, groups=None):
        RecordingGroupKFold.seen.append(None if groups is None else len(groups))
        return super().split(X, y, groups)


def test_routing_inside_cross_validate(iris):
    X, y = iris
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 6, size=150)
    sw = rng.uniform(0.5, 2.0, size=150)
    RecordingGroupKFold.seen.clear()
    with config_context(enable_metadata_routing=True):
        scorer = get_scorer("neg_log_loss").set_score_request(sample_weight=True)
        estimator = SoftmaxClassifierCV(
            alphas=4, cv=RecordingGroupKFold(3), scoring=scorer
        ).set_fit_request(sample_weight=True)
        outer = KFold(2, shuffle=True, random_state=0)
        result = cross_validate(
            estimator,
            X,
            y,
            cv=outer,
            params={"sample_weight": sw, "groups": groups},
            return_estimator=True,
        )
        train, _ = next(outer.split(X))
        direct = SoftmaxClassifierCV(
            alphas=4, cv=RecordingGroupKFold(3), scoring=scorer
        ).fit(X[train], y[train], sample_weight=sw[train], groups=groups[train])
        unweighted = SoftmaxClassifierCV(
            alphas=4, cv=RecordingGroupKFold(3), scoring=scorer
        ).fit(X[train], y[train], groups=groups[train])
    # The inner splitter got the groups of each outer training part.
    assert RecordingGroupKFold.seen[:2] == [75, 75]
    first = result["estimator"][0]
    np.testing.assert_array_equal(first.coef_, direct.coef_)
    np.testing.assert_array_equal(
        first.cv_results_["mean_test_score"], direct.cv_results_["mean_test_score"]
    )
    # ... and the weights mattered.
    assert not np.allclose(first.coef_, unweighted.coef_)


def test_groups_without_routing(iris):
    X, y = iris
    groups = np.arange(150) % 5
    cv = SoftmaxClassifierCV(alphas=3, cv=GroupKFold(5)).fit(X, y, groups=groups)
    assert len([k for k in cv.cv_results_ if k.startswith("split")]) == 5
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        SoftmaxClassifierCV(alphas=3).fit(X, y, other=groups)


@pytest.mark.parametrize(
    "check",
    [
        check_sample_weight_equivalence_on_dense_data,
        check_sample_weight_equivalence_on_sparse_data,
    ],
)
def test_sample_weight_equivalence_to_the_solver_tolerance(check):
    # test_common expects these checks to fail at the default tol=1e-4: the
    # weighted and the repeated fits stop at different iterations, within tol.
    check(
        "SoftmaxClassifierCV",
        SoftmaxClassifierCV(alphas=5, solver="newton-cg", tol=1e-10),
    )


def test_a_split_without_a_class_is_an_error(iris):
    X, y = iris  # sorted labels: each unshuffled fold holds one class
    with pytest.raises(ValueError, match="lacks the classes"):
        SoftmaxClassifierCV(alphas=3, cv=KFold(3)).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"l1_ratios": [0.5], "solver": "lbfgs"}, "only the L2"),
        ({"l1_ratios": [1.5]}, r"\[0, 1\]"),
        ({"l1_ratios": []}, "non-empty"),
        ({"alphas": [-1.0]}, "non-negative"),
    ],
)
def test_bad_parameters(iris, params, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        SoftmaxClassifierCV(**params).fit(X, y)


def test_dask_input_is_refused_with_a_pointer(iris):
    da = pytest.importorskip("dask.array")
    X, y = iris
    with pytest.raises(TypeError, match="softmax_path"):
        SoftmaxClassifierCV().fit(da.from_array(X), y)
