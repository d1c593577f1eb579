"""Bad input gets a clear error, and a failed fit loses nothing.

The contract is in docs/developer/architecture.rst.

Each case asserts the exception type (ValueError, or the exception
scikit-learn's own convention expects) and that the message names the problem.
Every failing ``fit`` is also run on a previously fitted model, which must come
out of it bit for bit as it went in.
"""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from robustness._support import PREDICT_METHODS
from sk_softmax import SoftmaxClassifier

N_SAMPLES, N_FEATURES = 30, 3


def good_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    y = np.arange(N_SAMPLES) % 3
    return X, y


def with_value(value, index=(0, 0)):
    X, y = good_data()
    X[index] = value
    return X, y


def _nan_X():
    return {}, *with_value(np.nan), {}


def _inf_X():
    return {}, *with_value(np.inf), {}


def _neg_inf_X():
    return {}, *with_value(-np.inf), {}


def _string_X():
    X, y = good_data()
    return {}, X.astype(str).astype(object) + "x", y, {}


def _numpy_string_X():
    X, y = good_data()
    return {}, np.full(X.shape, "a"), y, {}


def _dataframe_string_column():
    X, y = good_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["c"] = ["red", "green", "blue"] * (N_SAMPLES // 3)
    return {}, frame, y, {}


def _complex_X():
    X, y = good_data()
    return {}, X + 1j, y, {}


def _three_d_X():
    X, y = good_data()
    return {}, X.reshape(N_SAMPLES, N_FEATURES, 1), y, {}


def _empty_X():
    return {}, np.empty((0, N_FEATURES)), np.array([], dtype=int), {}


def _no_features():
    _, y = good_data()
    return {}, np.empty((N_SAMPLES, 0)), y, {}


def _one_sample():
    X, y = good_data()
    return {}, X[:1], y[:1], {}


def _one_class():
    X, _ = good_data()
    return {}, X, np.full(N_SAMPLES, 7), {}


def _nan_y():
    X, y = good_data()
    return {}, X, np.where(np.arange(N_SAMPLES) == 0, np.nan, y), {}


def _continuous_y():
    X, _ = good_data()
    return {}, X, np.linspace(0, 1, N_SAMPLES), {}


def _y_length():
    X, y = good_data()
    return {}, X, y[:-1], {}


def _sample_weight(weights):
    X, y = good_data()
    return {}, X, y, {"sample_weight": weights}


def _sample_weight_length():
    return _sample_weight(np.ones(N_SAMPLES - 1))


def _negative_sample_weight():
    return _sample_weight(np.r_[-0.5, np.ones(N_SAMPLES - 1)])


def _zero_sample_weights():
    return _sample_weight(np.zeros(N_SAMPLES))


def _nan_sample_weight():
    return _sample_weight(np.r_[np.nan, np.ones(N_SAMPLES - 1)])


def _inf_sample_weight():
    return _sample_weight(np.r_[np.inf, np.ones(N_SAMPLES - 1)])


def _zero_after_class_weight():
    X, y = good_data()
    return {"class_weight": {0: 0, 1: 0}}, X, y % 2, {}


def _unknown_class_weight_key():
    X, y = good_data()
    return {"class_weight": {0: 1.0, 5: 2.0}}, X, y, {}


def _negative_class_weight():
    X, y = good_data()
    return {"class_weight": {1: -1.0}}, X, y, {}


def _invalid(**params):
    def case():
        X, y = good_data()
        return params, X, y, {}

    return case


# (case, exception, message pattern)
BAD_FITS = {
    "nan_in_X": (_nan_X, ValueError, "Input X contains NaN"),
    "inf_in_X": (_inf_X, ValueError, "Input X contains infinity"),
    "neg_inf_in_X": (_neg_inf_X, ValueError, "Input X contains infinity"),
    "object_strings_X": (_string_X, ValueError, "could not convert string to float"),
    "numpy_strings_X": (
        _numpy_string_X,
        ValueError,
        "could not convert string to float",
    ),
    "dataframe_string_column": (
        _dataframe_string_column,
        ValueError,
        "could not convert string to float",
    ),
    "complex_X": (_complex_X, ValueError, r"(?i)complex data not supported"),
    # scikit-learn's wording: 1.7 and later, then 1.6.
    "3d_X": (
        _three_d_X,
        ValueError,
        r"dim 3(, while dim <= 2 is required|\. SoftmaxClassifier expected <= 2)",
    ),
    "empty_X": (_empty_X, ValueError, r"0 sample\(s\)"),
    "zero_features": (_no_features, ValueError, r"0 feature\(s\)"),
    "one_sample": (_one_sample, ValueError, r"1 sample\(s\)"),
    "one_class": (_one_class, ValueError, r"at least 2 classes.*only one class"),
    "nan_in_y": (_nan_y, ValueError, "Input y contains NaN"),
    "continuous_y": (_continuous_y, ValueError, "Unknown label type: continuous"),
    "y_length": (_y_length, ValueError, "inconsistent numbers of samples"),
    "sample_weight_length": (
        _sample_weight_length,
        ValueError,
        rf"sample_weight.*\({N_SAMPLES - 1},\).*\({N_SAMPLES},\)",
    ),
    "negative_sample_weight": (
        _negative_sample_weight,
        ValueError,
        "sample_weight must be non-negative",
    ),
    "zero_sample_weights": (
        _zero_sample_weights,
        ValueError,
        r"(?i)sample.weights? must (contain at least one non-zero|not be all zero)",
    ),
    "nan_in_sample_weight": (
        _nan_sample_weight,
        ValueError,
        "Input sample_weight contains NaN",
    ),
    "inf_in_sample_weight": (
        _inf_sample_weight,
        ValueError,
        "Input sample_weight contains infinity",
    ),
    "zero_after_class_weight": (
        _zero_after_class_weight,
        ValueError,
        r"(?i)class weights times the sample weights are all zero",
    ),
    "unknown_class_weight_key": (
        _unknown_class_weight_key,
        ValueError,
        r"class_weight has keys \[5\] that are not classes",
    ),
    "negative_class_weight": (
        _negative_class_weight,
        ValueError,
        r"class_weight\[1\] must be a finite non-negative number",
    ),
    "l1_with_lbfgs": (
        _invalid(solver="lbfgs", l1_ratio=0.5),
        ValueError,
        r"solver='lbfgs' supports only the L2 penalty",
    ),
    "l1_with_newton_cg": (
        _invalid(solver="newton-cg", l1_ratio=1.0),
        ValueError,
        r"solver='newton-cg' supports only the L2 penalty",
    ),
    "alpha=-1": (_invalid(alpha=-1), InvalidParameterError, "'alpha' parameter"),
    "l1_ratio=2": (_invalid(l1_ratio=2), InvalidParameterError, "'l1_ratio' parameter"),
    "solver=nope": (
        _invalid(solver="nope"),
        InvalidParameterError,
        "'solver' parameter.*Got 'nope'",
    ),
    "max_iter=0": (_invalid(max_iter=0), InvalidParameterError, "'max_iter' parameter"),
    "tol=-1": (_invalid(tol=-1.0), InvalidParameterError, "'tol' parameter"),
    "class_weight=auto": (
        _invalid(class_weight="auto"),
        InvalidParameterError,
        "'class_weight' parameter",
    ),
    "early_stopping_with_lbfgs": (
        _invalid(solver="lbfgs", early_stopping=True),
        ValueError,
        "early_stopping needs a stochastic solver; solver='lbfgs'",
    ),
    "early_stopping_one_sample_per_class": (
        _invalid(solver="sgd", early_stopping=True, validation_fraction=0.05),
        ValueError,
        r"early_stopping could not hold out validation_fraction=0\.05",
    ),
    "sgd_diverges": (
        _invalid(solver="sgd", learning_rate_init=1e307, momentum=0.0),
        ValueError,
        "Solver 'sgd' diverged",
    ),
    **{
        f"{name}={value!r}": (
            _invalid(**{name: value}),
            InvalidParameterError,
            f"'{name}' parameter",
        )
        for name, value in [
            ("batch_size", 0),
            ("batch_size", "all"),
            ("learning_rate", "optimal"),
            ("learning_rate_init", 0.0),
            ("power_t", -1.0),
            ("momentum", 1.0),
            ("beta_1", 1.0),
            ("beta_2", -0.1),
            ("epsilon", 0.0),
            ("validation_fraction", 1.0),
            ("n_iter_no_change", 0),
            ("shuffle", "yes"),
        ]
    },
}


def bad_fit_params():
    return [pytest.param(*case, id=name) for name, case in BAD_FITS.items()]


@pytest.mark.parametrize("make_case, exception, match", bad_fit_params())
def test_bad_fit_input_gets_a_clear_error(make_case, exception, match):
    params, X, y, fit_kwargs = make_case()
    assert issubclass(exception, ValueError)
    with pytest.raises(exception, match=match):
        SoftmaxClassifier(**params).fit(X, y, **fit_kwargs)


def test_datetime_X_is_rejected_as_non_numeric():
    """Non-numeric X gets a ValueError; datetimes are not numbers."""
    X = np.datetime64("2020-01-01") + np.arange(12).reshape(12, 1)
    y = np.arange(12) % 2
    with pytest.raises(ValueError, match=r"(?i)datetime|numeric"):
        SoftmaxClassifier().fit(X, y)


# ------------------------------------------------------ failed fit loses nothing


def fitted_state(estimator):
    """Deep copy of every fitted attribute (public names ending in '_')."""
    return {
        name: copy.deepcopy(value)
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_")
    }


def assert_same_state(before, after):
    assert sorted(after) == sorted(before)
    for name, old in before.items():
        new = after[name]
        assert type(new) is type(old), name
        if isinstance(old, np.ndarray):
            assert new.dtype == old.dtype, name
            assert new.shape == old.shape, name
            if old.dtype == object:
                assert_array_equal(new, old, err_msg=name)
            else:
                assert new.tobytes() == old.tobytes(), name
        else:
            assert new == old, name


def previous_model():
    """A model fitted on other data: 4 named columns, string labels, float32."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        rng.normal(size=(40, 4)).astype(np.float32),
        columns=["w", "x", "y", "z"],
    )
    y = np.array(["ant", "bee"])[(X["w"] + 0.5 * rng.normal(size=40) > 0).astype(int)]
    model = SoftmaxClassifier(warm_start=True).fit(X, y)
    return model, X


@pytest.mark.parametrize("make_case, exception, match", bad_fit_params())
def test_failed_fit_leaves_the_previous_model_as_it_was(make_case, exception, match):
    model, X_old = previous_model()
    before = fitted_state(model)
    assert {"coef_", "intercept_", "classes_", "n_features_in_"} <= set(before)
    assert {"feature_names_in_", "n_iter_", "loss_curve_"} <= set(before)
    proba_before = model.predict_proba(X_old)

    params, X, y, fit_kwargs = make_case()
    model.set_params(**params)
    with pytest.raises(exception, match=match):
        model.fit(X, y, **fit_kwargs)

    assert_same_state(before, fitted_state(model))
    assert model.predict_proba(X_old).tobytes() == proba_before.tobytes()


def test_fit_stopped_by_a_convergence_warning_error_keeps_the_previous_model():
    """With warnings as errors, a fit that does not converge raises; nothing of
    the new data may leak into the old model."""
    model, X_old = previous_model()
    before = fitted_state(model)
    proba_before = model.predict_proba(X_old)
    X, y = good_data()
    model.set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="max_iter"):
            model.fit(X, y)
    assert_same_state(before, fitted_state(model))
    assert model.predict_proba(X_old).tobytes() == proba_before.tobytes()


# ------------------------------------------------------------- predict time


def call(model, method, X):
    if method == "score":
        return model.score(X, np.arange(len(X)) % 3)
    return getattr(model, method)(X)


@pytest.fixture(scope="module")
def fitted():
    X, y = good_data()
    return SoftmaxClassifier().fit(X, y)


@pytest.fixture(scope="module")
def fitted_on_frame():
    X, y = good_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    return SoftmaxClassifier().fit(frame, y), frame


@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_not_fitted(method):
    X, _ = good_data()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        call(SoftmaxClassifier(), method, X)


@pytest.mark.parametrize("n_features", [N_FEATURES - 1, N_FEATURES + 1])
@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_wrong_number_of_features_at_predict_time(fitted, method, n_features):
    X = np.ones((5, n_features))
    expected = (
        f"X has {n_features} features, but SoftmaxClassifier is expecting "
        f"{N_FEATURES} features"
    )
    with pytest.raises(ValueError, match=expected):
        call(fitted, method, X)


@pytest.mark.parametrize(
    "value, match",
    [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity")],
)
@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_non_finite_X_at_predict_time(fitted, method, value, match):
    X, _ = with_value(value, index=(2, 1))
    with pytest.raises(ValueError, match=match):
        call(fitted, method, X)


@pytest.mark.parametrize(
    "change, match",
    [
        ("renamed", "Feature names unseen at fit time:\n- d"),
        ("reordered", "Feature names must be in the same order"),
        ("missing", "Feature names seen at fit time, yet now missing:\n- c"),
    ],
)
@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_changed_column_names_at_predict_time(fitted_on_frame, method, change, match):
    model, frame = fitted_on_frame
    if change == "renamed":
        X = frame.rename(columns={"c": "d"})
    elif change == "reordered":
        X = frame[["b", "a", "c"]]
    else:
        X = frame[["a", "b"]]
    with pytest.raises(ValueError, match="feature names should match") as info:
        call(model, method, X)
    assert match in str(info.value)


# --------------------------------------------------------------- partial_fit


def _partial(X_change=None, y_change=None, **kwargs):
    """A partial_fit call on good data, with X, y or arguments spoiled."""

    def case():
        X, y = good_data()
        X = X_change(X) if X_change is not None else X
        y = y_change(y) if y_change is not None else y
        return X, y, kwargs

    return case


def _set(index, value):
    def change(a):
        a = a.astype(type(value)) if isinstance(value, str) else a.copy()
        a[index] = value
        return a

    return change


BAD_PARTIAL_FITS = {
    "unseen_label": (_partial(y_change=_set(4, 7)), r"y contains labels \[7\]"),
    "unseen_string_label": (
        _partial(y_change=_set(0, "x")),
        r"y contains labels .*'x'.* not in classes_",
    ),
    "other_classes": (_partial(classes=[0, 1, 2, 3]), r"differs from the classes_"),
    "classes_2d": (_partial(classes=[[0, 1, 2]]), "classes must be a 1-D array"),
    "nan_X": (_partial(X_change=_set((1, 1), np.nan)), "Input X contains NaN"),
    "inf_X": (_partial(X_change=_set((1, 1), np.inf)), "Input X contains infinity"),
    "too_many_features": (
        _partial(X_change=lambda X: np.hstack([X, X])),
        "X has 6 features, but SoftmaxClassifier is expecting 3 features",
    ),
    "negative_weight": (
        _partial(sample_weight=-np.ones(N_SAMPLES)),
        "sample_weight must be non-negative",
    ),
    "short_weight": (_partial(sample_weight=np.ones(5)), r"sample_weight\.shape"),
    "string_X": (
        _partial(X_change=lambda X: np.full(X.shape, "a")),
        "could not convert|dtype",
    ),
    "y_length": (
        _partial(y_change=lambda y: y[:-1]),
        "inconsistent numbers of samples",
    ),
}


def trained_online():
    X, y = good_data()
    return SoftmaxClassifier(solver="adam", random_state=0).partial_fit(
        X, y, classes=[0, 1, 2]
    )


@pytest.mark.parametrize(
    "make_case, match",
    [pytest.param(*case, id=name) for name, case in BAD_PARTIAL_FITS.items()],
)
def test_failed_partial_fit_gets_a_clear_error_and_keeps_the_model(make_case, match):
    model = trained_online()
    before = fitted_state(model)
    private_before = copy.deepcopy(model._stochastic_state)
    X, y, kwargs = make_case()
    with pytest.raises(ValueError, match=match):
        model.partial_fit(X, y, **kwargs)
    assert_same_state(before, fitted_state(model))
    # The solver state (moments, shuffling) is untouched too: the next call
    # continues exactly as it would have.
    X, y = good_data()
    reference = trained_online().partial_fit(X, y)
    assert model._stochastic_state.epochs == private_before.epochs
    assert model.partial_fit(X, y).coef_.tobytes() == reference.coef_.tobytes()


def test_partial_fit_first_call_errors():
    X, y = good_data()
    model = SoftmaxClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError, match="at least 2 labels"):
        model.partial_fit(X, y, classes=[1])
    with pytest.raises(ValueError, match="Unknown label type"):
        model.partial_fit(X, y, classes=[0.5, 1.5, 2.5])
    assert not hasattr(model, "classes_")
    assert not hasattr(model, "n_features_in_")


def test_partial_fit_changed_column_names():
    X, y = good_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = SoftmaxClassifier(random_state=0).partial_fit(frame, y, classes=[0, 1, 2])
    before = fitted_state(model)
    with pytest.raises(ValueError, match="feature names should match"):
        model.partial_fit(frame.rename(columns={"c": "d"}), y)
    assert_same_state(before, fitted_state(model))
