"""Hostile input on every public method of every solver.

The contract is in docs/developer/architecture.rst.

"Bad input gets a clear error, and nothing is lost": for each solver and each of
``fit``, ``partial_fit`` (where it exists), ``predict``, ``predict_proba``,
``predict_log_proba``, ``decision_function`` and ``score``, hostile input gets
the exception scikit-learn's convention expects, with a message that names the
problem, and a previously fitted model comes out of the failed call bit for bit
as it went in: every attribute in ``vars()`` (fitted attributes, parameters and
the private solver state ``_stochastic_state``, arrays compared by their bytes)
and the bytes of ``predict_proba``.

``tests/test_bad_input.py`` holds the default-solver cases of ``fit``; this file
extends them to every solver and method, to ``partial_fit``'s ``classes`` and
labels, to failures in the middle of a solver, and to the public maths
functions.
"""

import copy
import struct
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from robustness._support import ONLINE_SOLVERS, PREDICT_METHODS, SOLVERS
from sk_softmax import (
    SoftmaxClassifier,
    argmax,
    hardmax,
    log_softmax,
    softmax,
    softmax_jacobian,
    softmax_jvp,
)

METHODS = ["fit", "partial_fit", *PREDICT_METHODS]
N_SAMPLES, N_FEATURES, CLASSES = 30, 3, np.array([0, 1, 2])
COLUMNS = ["a", "b", "c"]


def good_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    y = np.arange(N_SAMPLES) % 3
    return X, y


# ---------------------------------------------------------------- the state


def _float_bytes(value):
    return struct.pack("<d", value)


def snapshot(obj):
    """A comparable image of `obj`: arrays by dtype, shape and bytes, objects by
    type and attributes, floats by their bits (so NaN equals NaN)."""
    if isinstance(obj, np.ndarray):
        data = obj.tolist() if obj.dtype == object else obj.tobytes()
        return ("ndarray", obj.dtype.str, obj.shape, data)
    if isinstance(obj, np.generic):
        return ("scalar", obj.dtype.str, obj.tobytes())
    if isinstance(obj, float):
        return ("float", _float_bytes(obj))
    if isinstance(obj, dict):
        return ("dict", {key: snapshot(value) for key, value in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [snapshot(value) for value in obj])
    if isinstance(obj, (type(None), bool, int, str, bytes)):
        return (type(obj).__name__, obj)
    if hasattr(obj, "__dict__"):  # StochasticState, optimisers, schedules
        return (type(obj).__qualname__, snapshot(vars(obj)))
    return (type(obj).__qualname__, repr(obj))


def model_state(model):
    """Deep copy of everything the model holds, public and private."""
    state = copy.deepcopy(dict(vars(model)))
    assert "_stochastic_state" in state or not hasattr(model, "coef_")
    return snapshot(state)


def assert_state(model, before):
    after = model_state(model)
    assert sorted(after[1]) == sorted(before[1]), "attributes added or removed"
    for name, value in before[1].items():
        assert after[1][name] == value, f"{name} changed"


class Guard:
    """Record a model and the bytes of its predictions; check them later."""

    def __init__(self, model, X_check):
        self.model = model
        self.X_check = X_check
        self.state = model_state(model)
        self.fitted = hasattr(model, "coef_")
        if self.fitted:
            self.proba = model.predict_proba(X_check).tobytes()
            self.twin = copy.deepcopy(model)

    def assert_unchanged(self):
        assert_state(self.model, self.state)
        if self.fitted:
            assert self.model.predict_proba(self.X_check).tobytes() == self.proba

    def assert_continues_as_before(self):
        """The next partial_fit call goes exactly as it would have."""
        X, y = good_data(seed=5)
        if hasattr(self.model, "feature_names_in_"):
            X = pd.DataFrame(X, columns=self.model.feature_names_in_)
        self.twin.partial_fit(X, y)
        self.model.partial_fit(X, y)
        assert self.model.coef_.tobytes() == self.twin.coef_.tobytes()
        assert snapshot(self.model._stochastic_state) == snapshot(
            self.twin._stochastic_state
        )


# ------------------------------------------------------------- fitted models


OTHER_COLUMNS = ["w", "x", "y", "z"]


def _training_data(kind, seed=1):
    """'array' and 'frame': the shape of the test data (3 features, labels
    0, 1, 2); 'other': 4 named float32 columns and string labels, so that a
    failed fit on the test data that leaked anything would show."""
    X, y = good_data(seed)
    if kind == "frame":
        return pd.DataFrame(X, columns=COLUMNS), y
    if kind == "other":
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(40, 4)).astype(np.float32)
        y = np.array(["ant", "bee", "cat"])[np.arange(40) % 3]
        return pd.DataFrame(X, columns=OTHER_COLUMNS), y
    return X, y


def _train(solver, kind):
    """A model trained by fit and, where it exists, one partial_fit call.

    ``warm_start=True`` so that a later fit would resume the solver state: a
    failed fit must not have touched it. After partial_fit the stochastic state
    holds momenta or moments, a schedule and running class totals.
    """
    X, y = _training_data(kind)
    model = SoftmaxClassifier(solver=solver, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    if solver in ONLINE_SOLVERS:
        model.partial_fit(X, y)
    return model


@pytest.fixture(scope="module")
def trained():
    """Cache of trained models; each test gets its own deep copy."""
    cache = {}

    def get(solver, kind="array"):
        if (solver, kind) not in cache:
            cache[solver, kind] = _train(solver, kind)
        return copy.deepcopy(cache[solver, kind])

    return get


def guarded(trained, solver, kind="array", **params):
    """A copy of a trained model (with `params` set) and its Guard."""
    model = trained(solver, kind).set_params(**params)
    return model, Guard(model, _training_data(kind, seed=2)[0])


def kind_for(method, frame=False):
    """A failed fit is checked on the 'other' model, which it would overwrite."""
    if method == "fit":
        return "other"
    return "frame" if frame else "array"


def call(model, method, X, y=None, **kwargs):
    """Call `method` with X and labels of the right length (unless given)."""
    if y is None:
        y = np.arange(X.shape[0]) % 3 if hasattr(X, "shape") else None
    if method in ("fit", "partial_fit", "score"):
        return getattr(model, method)(X, y, **kwargs)
    return getattr(model, method)(X, **kwargs)


# ------------------------------------------------------------ hostile X grid


def _with(value):
    def make(X):
        X = X.astype(type(value)) if isinstance(value, str) else X.copy()
        X[2, 1] = value
        return X

    return make


def _datetimes(X):
    return np.datetime64("2020-01-01") + np.arange(X.size).reshape(X.shape)


def _csr_nan(X):
    X = X.copy()
    X[3, 0] = np.nan
    return sp.csr_matrix(X)


def _nullable_frame(X):
    frame = pd.DataFrame(X, columns=COLUMNS)
    frame["b"] = pd.array([1, None] + [2] * (len(X) - 2), dtype="Int64")
    return frame


def _frame(change):
    def make(X):
        frame = pd.DataFrame(X, columns=COLUMNS)
        if change == "renamed":
            return frame.rename(columns={"c": "d"})
        if change == "reordered":
            return frame[["b", "a", "c"]]
        if change == "missing":
            return frame[["a", "b"]]
        return frame.rename(columns={"b": 1})  # mixed str and int names

    return make


FIT_METHODS = {"fit", "partial_fit"}
NOT_FIT = set(METHODS) - {"fit"}  # the model's features are fixed

# name: (make X from good X, frame-fitted model?, methods, exception, message)
HOSTILE_X = {
    "nan": (_with(np.nan), False, set(METHODS), ValueError, "Input X contains NaN"),
    "inf": (_with(np.inf), False, set(METHODS), ValueError, "contains infinity"),
    "-inf": (_with(-np.inf), False, set(METHODS), ValueError, "contains infinity"),
    "strings": (
        _with("spam"),
        False,
        set(METHODS),
        ValueError,
        "could not convert string to float",
    ),
    "complex": (
        lambda X: X + 1j,
        False,
        set(METHODS),
        ValueError,
        "(?i)complex data not supported",
    ),
    "datetime": (_datetimes, False, set(METHODS), ValueError, "datetime"),
    "3-D": (
        lambda X: X[:, :, None],
        False,
        set(METHODS),
        ValueError,
        # scikit-learn's wording: 1.7 and later, then 1.6.
        r"dim 3(, while dim <= 2 is required|\. SoftmaxClassifier expected <= 2)",
    ),
    "1-D": (
        lambda X: X[:, 0],
        False,
        set(METHODS),
        ValueError,
        "Expected 2D array, got 1D array",
    ),
    "empty": (
        lambda X: X[:0],
        False,
        set(METHODS),
        ValueError,
        r"0 sample\(s\) \(shape=\(0, 3\)\)",
    ),
    "no_features": (
        lambda X: X[:, :0],
        False,
        set(METHODS),
        ValueError,
        r"0 feature\(s\)",
    ),
    "csr_nan": (_csr_nan, False, set(METHODS), ValueError, "Input X contains NaN"),
    "pandas_NA": (
        _nullable_frame,
        True,
        set(METHODS),
        ValueError,
        "Input X contains NaN",
    ),
    "too_few_features": (
        lambda X: X[:, :2],
        False,
        NOT_FIT,
        ValueError,
        "X has 2 features, but SoftmaxClassifier is expecting 3 features",
    ),
    "too_many_features": (
        lambda X: np.hstack([X, X]),
        False,
        NOT_FIT,
        ValueError,
        "X has 6 features, but SoftmaxClassifier is expecting 3 features",
    ),
    "renamed_column": (
        _frame("renamed"),
        True,
        NOT_FIT,
        ValueError,
        "feature names should match(.|\n)*unseen at fit time:\n- d",
    ),
    "reordered_columns": (
        _frame("reordered"),
        True,
        NOT_FIT,
        ValueError,
        "feature names should match(.|\n)*must be in the same order",
    ),
    "missing_column": (
        _frame("missing"),
        True,
        NOT_FIT,
        ValueError,
        "feature names should match(.|\n)*yet now missing:\n- c",
    ),
    "mixed_type_column_names": (
        _frame("mixed"),
        True,
        set(METHODS),
        TypeError,  # scikit-learn's convention for feature names
        "Feature names are only supported if all input features have string names",
    ),
}


def solver_methods(methods, solvers=SOLVERS):
    """The (solver, method) pairs to test: partial_fit only where it exists."""
    return [
        (solver, method)
        for solver in solvers
        for method in METHODS
        if method in methods and (method != "partial_fit" or solver in ONLINE_SOLVERS)
    ]


def hostile_x_params(unfitted=False):
    params = []
    for name, (make, frame, methods, exception, match) in HOSTILE_X.items():
        if unfitted:
            # A first fit or partial_fit sets the features: only the cases
            # that fail for fit also fail on an unfitted model.
            methods = methods if "fit" in methods else methods - FIT_METHODS
            pairs = [(None, method) for method in METHODS if method in methods]
        else:
            pairs = solver_methods(methods)
        for solver, method in pairs:
            case_id = "-".join(filter(None, [solver, method, name]))
            params.append(
                pytest.param(solver, make, frame, method, exception, match, id=case_id)
            )
    return params


@pytest.mark.parametrize(
    "solver, make_X, frame, method, exception, match", hostile_x_params()
)
def test_hostile_X(trained, solver, make_X, frame, method, exception, match):
    model, guard = guarded(trained, solver, kind_for(method, frame))
    X, _ = good_data(seed=3)
    X_bad = make_X(X)
    with pytest.raises(exception, match=match):
        call(model, method, X_bad)
    guard.assert_unchanged()
    if method == "partial_fit":
        guard.assert_continues_as_before()


@pytest.mark.parametrize(
    "solver, make_X, frame, method, exception, match",
    hostile_x_params(unfitted=True),
)
def test_hostile_X_on_an_unfitted_model(
    solver, make_X, frame, method, exception, match
):
    """Unfitted: predict methods raise NotFittedError before looking at X (as
    scikit-learn's check_is_fitted-first convention); fit and a first
    partial_fit raise the input error and leave the model unfitted."""
    model = SoftmaxClassifier(solver="sgd", random_state=0)
    guard = Guard(model, None)
    X_bad = make_X(good_data(seed=3)[0])
    if method in PREDICT_METHODS:
        exception, match = NotFittedError, "not fitted yet"
    kwargs = {"classes": CLASSES} if method == "partial_fit" else {}
    with pytest.raises(exception, match=match):
        call(model, method, X_bad, **kwargs)
    guard.assert_unchanged()
    assert not hasattr(model, "n_features_in_")


@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_not_fitted_for_every_solver(solver, method):
    model = SoftmaxClassifier(solver=solver)
    with pytest.raises(NotFittedError, match="SoftmaxClassifier instance is not"):
        call(model, method, good_data()[0])


# ------------------------------------------------------ y, weights, classes


def _fit_case(params=None, X=None, y=None, **fit_kwargs):
    return params or {}, X, y, fit_kwargs


X0, Y0 = good_data(seed=3)

# name: ((params, X, y, kwargs), methods, exception, message)
HOSTILE_FIT = {
    "one_sample": (
        _fit_case(X=X0[:1], y=Y0[:1]),
        {"fit"},
        ValueError,
        r"1 sample\(s\).*minimum of 2",
    ),
    "one_class": (
        _fit_case(y=np.full(N_SAMPLES, 2)),
        {"fit"},
        ValueError,
        "needs samples of at least 2 classes, but y contains only one class",
    ),
    "y_length": (
        _fit_case(y=Y0[:-1]),
        {"fit", "partial_fit", "score"},
        ValueError,
        r"inconsistent numbers of samples: \[(30, 29|29, 30)\]",
    ),
    "y_2d": (
        _fit_case(y=np.c_[Y0, Y0]),
        {"fit", "partial_fit"},
        ValueError,
        r"y should be a 1d array, got an array of shape \(30, 2\)",
    ),
    "nan_in_y": (
        _fit_case(y=np.where(np.arange(N_SAMPLES) == 4, np.nan, Y0)),
        {"fit", "partial_fit"},
        ValueError,
        "Input y contains NaN",
    ),
    "continuous_y": (
        _fit_case(y=np.linspace(0.1, 0.9, N_SAMPLES)),
        {"fit"},
        ValueError,
        "Unknown label type: continuous",
    ),
    "sample_weight_length": (
        _fit_case(sample_weight=np.ones(N_SAMPLES - 1)),
        {"fit", "partial_fit"},
        ValueError,
        r"sample_weight\.shape == \(29,\), expected \(30,\)",
    ),
    "score_sample_weight_length": (
        _fit_case(sample_weight=np.ones(N_SAMPLES - 1)),
        {"score"},
        ValueError,
        r"inconsistent numbers of samples: \[30, 30, 29\]",
    ),
    "sample_weight_2d": (
        _fit_case(sample_weight=np.ones((N_SAMPLES, 1))),
        {"fit", "partial_fit"},
        ValueError,
        "Sample weights must be 1D array or scalar",
    ),
    "negative_sample_weight": (
        _fit_case(sample_weight=np.r_[np.ones(N_SAMPLES - 1), -2.0]),
        {"fit", "partial_fit"},
        ValueError,
        r"sample_weight must be non-negative; got a negative weight \(-2\)",
    ),
    "negative_scalar_sample_weight": (
        _fit_case(sample_weight=-1.0),
        {"fit", "partial_fit"},
        ValueError,
        "sample_weight must be non-negative",
    ),
    "all_zero_sample_weights": (
        _fit_case(sample_weight=np.zeros(N_SAMPLES)),
        {"fit"},
        ValueError,
        r"(?i)sample.weights? must (contain at least one non-zero|not be all zero)",
    ),
    "nan_sample_weight": (
        _fit_case(sample_weight=np.r_[np.nan, np.ones(N_SAMPLES - 1)]),
        {"fit", "partial_fit"},
        ValueError,
        "Input sample_weight contains NaN",
    ),
    "string_sample_weight": (
        _fit_case(sample_weight=np.array(["heavy"] * N_SAMPLES)),
        {"fit", "partial_fit"},
        ValueError,
        "could not convert string to float",
    ),
    "complex_sample_weight": (
        _fit_case(sample_weight=np.ones(N_SAMPLES) + 1j),
        {"fit", "partial_fit"},
        ValueError,
        "(?i)complex data not supported",
    ),
    "unknown_class_weight_key": (
        _fit_case(params={"class_weight": {0: 1.0, 9: 2.0}}),
        {"fit", "partial_fit"},
        ValueError,
        r"class_weight has keys \[9\] that are not classes of y; "
        r"the classes are \[0, 1, 2\]",
    ),
    "string_class_weight_key_for_int_labels": (
        _fit_case(params={"class_weight": {"1": 2.0}}),
        {"fit", "partial_fit"},
        ValueError,
        r"class_weight has keys \['1'\] that are not classes",
    ),
    "nan_class_weight": (
        _fit_case(params={"class_weight": {1: np.nan}}),
        {"fit", "partial_fit"},
        ValueError,
        r"class_weight\[1\] must be a finite non-negative number",
    ),
    "zero_after_class_weight": (
        _fit_case(params={"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}}),
        {"fit"},
        ValueError,
        "class weights times the sample weights are all zero",
    ),
    "non_numeric_class_weight": (
        _fit_case(params={"class_weight": {1: "heavy"}}),
        {"fit", "partial_fit"},
        ValueError,
        r"class_weight\[1\]",
    ),
}


def hostile_fit_params():
    params = []
    for name, (case, methods, exception, match) in HOSTILE_FIT.items():
        for solver, method in solver_methods(methods):
            params.append(
                pytest.param(
                    solver,
                    case,
                    method,
                    exception,
                    match,
                    id=f"{solver}-{method}-{name}",
                )
            )
    return params


@pytest.mark.parametrize("solver, case, method, exception, match", hostile_fit_params())
def test_hostile_labels_and_weights(trained, solver, case, method, exception, match):
    params, X, y, kwargs = case
    model, guard = guarded(trained, solver, kind_for(method), **params)
    X = X0 if X is None else X
    y = Y0 if y is None else y
    with pytest.raises(exception, match=match):
        call(model, method, X, y, **kwargs)
    guard.assert_unchanged()
    if method == "partial_fit":
        model.set_params(class_weight=None)
        guard.twin.set_params(class_weight=None)
        guard.assert_continues_as_before()


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton-cg"])
def test_partial_fit_does_not_exist_for_full_batch_solvers(trained, solver):
    model, guard = guarded(trained, solver)
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        model.partial_fit(X0, Y0, classes=CLASSES)
    guard.assert_unchanged()


@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_partial_fit_all_zero_weights_change_nothing(trained, solver):
    """README: 'A batch whose weights are all zero changes nothing.'"""
    model, guard = guarded(trained, solver)
    assert model.partial_fit(X0, Y0, sample_weight=np.zeros(N_SAMPLES)) is model
    guard.assert_unchanged()
    guard.assert_continues_as_before()


# ------------------------------------------------------- partial_fit classes

# name: (classes, y, exception, message)
FIRST_CALL_CLASSES = {
    "None": (None, Y0, ValueError, "classes must be passed on the first call"),
    "strings_for_int_y": (
        ["a", "b", "c"],
        Y0,
        ValueError,
        r"y contains labels \[0, 1, 2\] that are not in classes_ \['a', 'b', 'c'\]",
    ),
    "int_for_string_y": (
        CLASSES,
        np.array(["a", "b", "c"])[Y0],
        ValueError,
        r"y contains labels \['a', 'b', 'c'\] that are not in classes_ \[0, 1, 2\]",
    ),
    "non_integral_floats": (
        [0.5, 1.5, 2.5],
        Y0,
        ValueError,
        "Unknown label type: continuous",
    ),
    "nan": (
        [0.0, 1.0, np.nan],
        Y0,
        ValueError,
        "NaN",
    ),
    "complex": ([0j, 1, 2], Y0, ValueError, "(?i)complex data not supported"),
    "mixed_objects": (
        np.array([0, "a", 2], dtype=object),
        Y0,
        ValueError,
        "Unknown label type",
    ),
    "2-D_row": (
        [[0, 1, 2]],
        Y0,
        ValueError,
        r"1-D array of labels; got shape \(1, 3\)",
    ),
    "2-D_column": (
        [[0], [1], [2]],
        Y0,
        ValueError,
        r"1-D array of labels; got shape \(3, 1\)",
    ),
    "scalar": (3, Y0, ValueError, r"1-D array of labels; got shape \(\)"),
    "set": ({0, 1, 2}, Y0, ValueError, r"1-D array of labels; got shape \(\)"),
    "empty": ([], Y0, ValueError, r"at least 2 labels; got \[\]"),
    "one_label": ([2, 2], np.full(N_SAMPLES, 2), ValueError, r"at least 2 labels"),
    "too_few_for_y": (
        [0, 1],
        Y0,
        ValueError,
        r"y contains labels \[2\] that are not in classes_ \[0, 1\]",
    ),
}


def first_call_params():
    return [pytest.param(*case, id=name) for name, case in FIRST_CALL_CLASSES.items()]


@pytest.mark.parametrize("classes, y, exception, match", first_call_params())
@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_first_partial_fit_with_bad_classes(solver, classes, y, exception, match):
    model = SoftmaxClassifier(solver=solver, random_state=0)
    guard = Guard(model, None)
    with pytest.raises(exception, match=match):
        model.partial_fit(X0, y, classes=classes)
    guard.assert_unchanged()
    assert not hasattr(model, "classes_")


@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_first_partial_fit_integral_float_classes(solver):
    """Integral floats are valid labels (as SGDClassifier): classes_ keeps the
    caller's values and dtype, and int labels in y are found in them."""
    model = SoftmaxClassifier(solver=solver, random_state=0)
    model.partial_fit(X0, Y0, classes=[0.0, 1.0, 2.0])
    assert model.classes_.dtype == np.float64
    assert set(model.predict(X0)) <= {0.0, 1.0, 2.0}


# name: (classes, exception, message)
LATER_CALL_CLASSES = {
    "strings": (["a", "b", "c"], ValueError, r"classes=\['a', 'b', 'c'\] differs"),
    "subset": ([0, 1], ValueError, r"classes=\[0, 1\] differs from the classes_"),
    "superset": ([0, 1, 2, 3], ValueError, r"classes=\[0, 1, 2, 3\] differs"),
    "shifted": ([1, 2, 3], ValueError, r"differs from the classes_ .*\[0, 1, 2\]"),
    "2-D": ([[0, 1, 2]], ValueError, "classes must be a 1-D array"),
    "nan": ([0.0, 1.0, np.nan], ValueError, "NaN"),
    "non_integral_floats": (
        [0.5, 1.5, 2.5],
        ValueError,
        "Unknown label type: continuous",
    ),
}


def later_call_params():
    return [pytest.param(*case, id=name) for name, case in LATER_CALL_CLASSES.items()]


@pytest.mark.parametrize("classes, exception, match", later_call_params())
@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_later_partial_fit_with_bad_classes(trained, solver, classes, exception, match):
    model, guard = guarded(trained, solver)
    with pytest.raises(exception, match=match):
        model.partial_fit(X0, Y0, classes=classes)
    guard.assert_unchanged()
    guard.assert_continues_as_before()


@pytest.mark.parametrize(
    "classes", [[0.0, 1.0, 2.0], np.array([0, 1, 2], dtype=np.uint8)]
)
@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_later_partial_fit_classes_of_another_dtype_keep_classes_(
    trained, solver, classes
):
    """classes equal to classes_ in value are accepted, but classes_ (and so
    the labels predict returns) stays as it was, as in SGDClassifier."""
    model = trained(solver)
    before = model.classes_.copy()
    model.partial_fit(X0, Y0, classes=classes)
    assert model.classes_.dtype == before.dtype
    assert model.classes_.tobytes() == before.tobytes()
    assert model.predict(X0).dtype == before.dtype


@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_later_partial_fit_bool_classes_keep_int_classes_(solver):
    X, y = good_data()
    model = SoftmaxClassifier(solver=solver, random_state=0)
    model.partial_fit(X, y % 2, classes=[0, 1])
    model.partial_fit(X, y % 2, classes=[False, True])
    assert model.classes_.dtype.kind == "i"
    assert model.predict(X).dtype.kind == "i"


def _labels(kind):
    if kind == "unseen_int":
        return np.where(np.arange(N_SAMPLES) == 7, 5, Y0)
    if kind == "unseen_string":
        return np.array(["a", "b", "c"])[Y0]
    if kind == "non_integral_float":
        return Y0 + 0.5
    if kind == "none_objects":
        return np.array([None] * N_SAMPLES, dtype=object)
    return np.array([0, "a", 2] * (N_SAMPLES // 3), dtype=object)  # mixed


LATER_CALL_LABELS = {
    "unseen_int": r"y contains labels \[5\] that are not in classes_ \[0, 1, 2\]",
    "unseen_string": r"y contains labels \['a', 'b', 'c'\] that are not in classes_",
    "non_integral_float": r"y contains labels \[0\.5, 1\.5, 2\.5\] that are not",
    "none_objects": "(?i)label",
    "mixed_objects": "(?i)label",
}


def later_label_params():
    return [
        pytest.param(
            name,
            match,
            id=name,
        )
        for name, match in LATER_CALL_LABELS.items()
    ]


@pytest.mark.parametrize("kind, match", later_label_params())
@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_later_partial_fit_with_unseen_labels(trained, solver, kind, match):
    model, guard = guarded(trained, solver)
    with pytest.raises(ValueError, match=match):
        model.partial_fit(X0, _labels(kind))
    guard.assert_unchanged()
    guard.assert_continues_as_before()


@pytest.mark.parametrize("kind", ["none_objects", "mixed_objects"])
def test_first_partial_fit_with_unorderable_labels(kind):
    """The reference for the later-call cases above: the first call says so."""
    model = SoftmaxClassifier(random_state=0)
    with pytest.raises(ValueError, match="Unknown label type: unknown"):
        model.partial_fit(X0, _labels(kind), classes=CLASSES)


# ------------------------------------------- feature names between calls


@pytest.mark.parametrize("solver", ONLINE_SOLVERS)
def test_partial_fit_frame_then_array_warns_as_scikit_learn(trained, solver):
    """scikit-learn's convention for a lost or gained header is a UserWarning,
    not an error; the call then trains as usual."""
    model = trained(solver, "frame")
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        model.partial_fit(X0, Y0)
    assert list(model.feature_names_in_) == COLUMNS
    model = trained(solver)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        model.partial_fit(pd.DataFrame(X0, columns=COLUMNS), Y0)
    assert not hasattr(model, "feature_names_in_")


# ------------------------------------------ failures in the middle of a solver


@pytest.mark.parametrize("kind", ["array", "other"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_fit_stopped_by_convergence_warning_error(trained, solver, kind):
    """With warnings as errors, a fit that runs out of iterations raises after
    the solver ran: on a compatible model (sgd and adam resume a copy of their
    state) and on one with other features, labels and dtype."""
    model, guard = guarded(trained, solver, kind, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match=r"Solver '.*' did not converge"):
            model.fit(X0[::-1] * 3, Y0[::-1])
    guard.assert_unchanged()


@pytest.mark.parametrize("solver", ["auto", "sgd"])
def test_partial_fit_that_diverges_mid_epoch(trained, solver):
    """Finite but huge features make momentum SGD overflow part-way through
    the epoch; the error names the fix and the model is kept."""
    model = trained(solver)
    model.partial_fit(X0 * 1e200, Y0)  # coefficients of order 1e199
    guard = Guard(model, X0)
    with pytest.raises(ValueError, match=r"Solver 'sgd' diverged.*scale the features"):
        model.partial_fit(X0 * 1e200, Y0)
    guard.assert_unchanged()


@pytest.mark.parametrize(
    "solver",
    SOLVERS,
)
def test_fit_on_huge_finite_X(trained, solver):
    """Finite features of order 1e300 (no NaN, no inf): fit either returns a
    model with finite coefficients (a ConvergenceWarning allowed) or raises a
    ValueError that names the scale; never another exception nor a numpy
    RuntimeWarning, and a failure keeps the previous model."""
    model, guard = guarded(trained, solver, "other")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model.fit(X0 * 1e300, Y0)
        except ValueError as exc:
            assert "scale" in str(exc).lower()
            guard.assert_unchanged()
            return
    assert np.all(np.isfinite(model.coef_))
    assert np.all(np.isfinite(model.intercept_))


# ------------------------------------------------------ the public maths

MATHS = {
    "softmax": softmax,
    "log_softmax": log_softmax,
    "softmax_jacobian": softmax_jacobian,
    "softmax_jvp(p)": lambda z, axis=-1: softmax_jvp(z, np.ones((2, 3)), axis=axis),
    "softmax_jvp(v)": lambda z, axis=-1: softmax_jvp(
        np.full((2, 3), 1 / 3), z, axis=axis
    ),
    "argmax": argmax,
    "hardmax": hardmax,
}


def maths_params():
    return [pytest.param(function, id=name) for name, function in MATHS.items()]


@pytest.mark.parametrize("function", maths_params())
def test_maths_non_numeric_strings(function):
    """Documented: floating and other numeric inputs; strings are not numbers."""
    z = np.array([["spam", "eggs", "ham"], ["1", "2", "3"]])
    with pytest.raises(ValueError, match="could not convert string to float"):
        function(z)


@pytest.mark.parametrize("function", maths_params())
def test_maths_complex(function):
    """Complex logits have no SoftMax here: an error that names them, not a
    warning and a result computed from the real part."""
    z = np.array([[1 + 2j, 0.5, -1], [0, 1j, 2]])
    with warnings.catch_warnings(record=True):  # a warning cannot stand in for it
        warnings.simplefilter("always")
        with pytest.raises((ValueError, TypeError), match=r"(?i)complex"):
            function(z)


@pytest.mark.parametrize("function", maths_params())
@pytest.mark.parametrize("axis", [2, -3])
def test_maths_axis_out_of_range(function, axis):
    """numpy's AxisError, a ValueError and an IndexError, names the axis."""
    z = np.zeros((2, 3))
    with pytest.raises(np.exceptions.AxisError, match=f"axis {axis} is out of bounds"):
        function(z, axis=axis)


@pytest.mark.parametrize("function", maths_params())
@pytest.mark.parametrize("axis", [1.0, "1"])
def test_maths_axis_not_an_integer(function, axis):
    z = np.zeros((2, 3))
    with pytest.raises(
        TypeError, match=r"cannot be interpreted as an integer|iterable"
    ):
        function(z, axis=axis)


@pytest.mark.parametrize("function", maths_params())
def test_maths_inputs_are_not_modified(function):
    z = np.array([[1.0, 2.0, 3.0], [0.2, 0.3, 0.5]])
    before = z.tobytes()
    function(z)
    assert z.tobytes() == before
