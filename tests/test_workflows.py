"""SoftmaxClassifier inside scikit-learn and pandas workflows."""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_softmax import SoftmaxClassifier


def iris_frame():
    data = load_iris(as_frame=True)
    return data.data, data.target


def test_pipeline_with_standard_scaler():
    X, y = load_wine(return_X_y=True)  # raw features on very different scales
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(alpha=1e-3)).fit(X, y)
    assert pipe.score(X, y) > 0.98
    # The pipeline is exactly the two steps run by hand.
    Xs = StandardScaler().fit_transform(X)
    by_hand = SoftmaxClassifier(alpha=1e-3).fit(Xs, y)
    assert_array_equal(pipe[-1].coef_, by_hand.coef_)
    assert_array_equal(pipe.predict_proba(X), by_hand.predict_proba(Xs))
    assert_array_equal(pipe.classes_, [0, 1, 2])


def test_pipeline_passes_feature_names_through_pandas_output():
    X, y = iris_frame()
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier()).set_output(
        transform="pandas"
    )
    pipe.fit(X, y)
    assert_array_equal(pipe[-1].feature_names_in_, X.columns)
    assert_array_equal(pipe.feature_names_in_, X.columns)


def _mixed_frame(n=300, seed=0):
    """Numeric and categorical columns that both carry the label."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=n)
    size = rng.normal(size=n)
    noise = rng.normal(size=n)
    score = size + 2.0 * (colour == "red") - 2.0 * (colour == "blue")
    y = np.digitize(score + 0.3 * rng.normal(size=n), [-1.0, 1.0])
    labels = np.array(["low", "mid", "high"])[y]
    X = pd.DataFrame({"size": size, "noise": noise, "colour": colour})
    return X, pd.Series(labels, name="level")


def test_column_transformer_with_one_hot_categories():
    X, y = _mixed_frame()
    preprocess = ColumnTransformer(
        [
            ("num", StandardScaler(), ["size", "noise"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
        ]
    )
    model = Pipeline(
        [("prep", preprocess), ("clf", SoftmaxClassifier(alpha=1e-3))]
    ).fit(X, y)
    clf = model.named_steps["clf"]
    assert_array_equal(clf.classes_, ["high", "low", "mid"])
    assert clf.coef_.shape == (3, 2 + 3)
    assert model.score(X, y) > 0.85
    # The categorical column matters: "red" pushes towards "high".
    names = list(preprocess.get_feature_names_out())
    high = list(clf.classes_).index("high")
    assert (
        clf.coef_[high, names.index("cat__colour_red")]
        > clf.coef_[high, names.index("cat__colour_blue")]
    )
    # New rows, one with an unseen category, are accepted.
    new = pd.DataFrame({"size": [3.0, -3.0], "noise": [0.0, 0.0]})
    new["colour"] = ["red", "purple"]
    predicted = model.predict(new)
    assert predicted.shape == (2,)
    assert predicted[0] == "high"
    assert_allclose(model.predict_proba(new).sum(axis=1), 1.0)


def test_grid_search_over_alpha():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alphas = [1e-4, 1e-2, 10.0]
    search = GridSearchCV(
        SoftmaxClassifier(), {"alpha": alphas}, cv=3, error_score="raise"
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_["alpha"] in alphas
    assert search.best_score_ == scores.max()
    assert search.best_params_["alpha"] == alphas[int(np.argmax(scores))]
    # A very strong penalty underfits and loses.
    assert scores[alphas.index(10.0)] < scores.max()
    # refit=True: the best model is refitted on all the data.
    refit = SoftmaxClassifier(alpha=search.best_params_["alpha"]).fit(X, y)
    assert_array_equal(search.best_estimator_.coef_, refit.coef_)
    assert_array_equal(search.predict(X), refit.predict(X))


def test_cross_val_score_matches_a_manual_loop():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = SoftmaxClassifier(alpha=1e-2)
    scores = cross_val_score(model, X, y, cv=5, error_score="raise")
    assert scores.shape == (5,)
    assert np.all(scores > 0.8)
    manual = [
        clone(model).fit(X[train], y[train]).score(X[test], y[test])
        for train, test in StratifiedKFold(5).split(X, y)
    ]
    assert_allclose(scores, manual, rtol=0, atol=0)


def test_clone_is_unfitted_with_the_same_params():
    X, y = load_iris(return_X_y=True)
    params = {
        "alpha": 0.3,
        "l1_ratio": 0.25,
        "max_iter": 77,
        "tol": 1e-5,
        "fit_intercept": False,
        "class_weight": {0: 2.0},
        "warm_start": True,
        "random_state": 3,
        "verbose": 0,
    }
    fitted = SoftmaxClassifier(**params).fit(StandardScaler().fit_transform(X), y)
    assert hasattr(fitted, "coef_")
    twin = clone(fitted)
    assert twin is not fitted
    assert twin.get_params() == fitted.get_params()
    for name, value in params.items():
        assert getattr(twin, name) == value
    assert not any(
        name.endswith("_") and not name.startswith("_") for name in vars(twin)
    )
    with pytest.raises(NotFittedError):
        twin.predict(X)


@pytest.mark.parametrize("binary", [False, True])
def test_pickle_round_trip_is_bit_identical(binary):
    X, y = iris_frame()
    if binary:
        X, y = X[y > 0], y[y > 0]
    model = make_pipeline(StandardScaler(), SoftmaxClassifier())
    model.set_output(transform="pandas").fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    for method in [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ]:
        before = getattr(model, method)(X)
        after = getattr(restored, method)(X)
        assert before.dtype == after.dtype
        assert before.tobytes() == after.tobytes(), method
    clf, clf_restored = model[-1], restored[-1]
    assert clf_restored.get_params() == clf.get_params()
    for name in ["classes_", "coef_", "intercept_", "feature_names_in_"]:
        assert_array_equal(getattr(clf_restored, name), getattr(clf, name))
    assert clf_restored.n_iter_ == clf.n_iter_
    assert clf_restored.loss_curve_ == clf.loss_curve_


def test_feature_names_with_dataframe_input():
    X, y = iris_frame()
    model = SoftmaxClassifier().fit(X, y)
    assert_array_equal(model.feature_names_in_, X.columns)
    assert model.n_features_in_ == 4
    # Same columns: predictions match the plain-array model.
    plain = SoftmaxClassifier().fit(X.to_numpy(), y.to_numpy())
    assert_array_equal(model.predict_proba(X), plain.predict_proba(X.to_numpy()))
    # Different or reordered columns at predict time are an error.
    renamed = X.rename(columns={X.columns[0]: "something else"})
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(renamed)
    with pytest.raises(ValueError, match="same order"):
        model.predict(X[X.columns[::-1]])
