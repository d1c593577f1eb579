"""Saving and loading fitted models: pickle, joblib and skops, bit for bit."""

import datetime
import importlib
import inspect
import pickle
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import TRUSTED_TYPES, SoftmaxClassifier, load_skops

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NAMES = np.array(["setosa", "versicolor", "virginica"])
SOLVERS = ["lbfgs", "newton-cg", "gd", "sgd", "adam"]


def _data():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    return pd.DataFrame(X, columns=columns), NAMES[y]


def _batches(X, y, n_batches=4, seed=0):
    order = np.random.RandomState(seed).permutation(len(y))
    for rows in np.array_split(order, n_batches):
        yield X.iloc[rows], y[rows]


def _fitted(solver):
    X, y = _data()
    return SoftmaxClassifier(solver=solver, max_iter=15, random_state=0).fit(X, y)


def _partially_fitted(solver):
    X, y = _data()
    clf = SoftmaxClassifier(solver=solver, class_weight="balanced", random_state=0)
    for X_batch, y_batch in _batches(X, y):
        clf.partial_fit(X_batch, y_batch, classes=NAMES)
    return clf


def _binary_float32():
    X, y = _data()
    keep = y != "setosa"
    return SoftmaxClassifier(solver="gd").fit(X[keep].astype(np.float32), y[keep])


MODELS = {
    **{solver: (lambda solver=solver: _fitted(solver)) for solver in SOLVERS},
    "partial_fit-sgd": lambda: _partially_fitted("sgd"),
    "partial_fit-adam": lambda: _partially_fitted("adam"),
    "gd-binary-float32": _binary_float32,
}
# Models that partial_fit can continue: fitted or trained by a stochastic solver.
RESUMABLE = ["sgd", "adam", "partial_fit-sgd", "partial_fit-adam"]


# ------------------------------------------------------------------- round trips
def _pickle(model, tmp_path):
    return pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def _joblib(model, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    return joblib.load(path)


def _skops(model, tmp_path):
    skops_io = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    skops_io.dump(model, path)
    return load_skops(path)


ROUND_TRIPS = {"pickle": _pickle, "joblib": _joblib, "skops": _skops}


def _assert_same_bits(a, b):
    """Assert two arrays are equal bit for bit (by value for object arrays)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype
    assert a.shape == b.shape
    if a.dtype == object:  # the bytes would be pointers
        assert a.tolist() == b.tolist()
    else:
        assert a.tobytes() == b.tobytes()


def _assert_same_state(a, b):
    """Assert two solver states (nested objects of arrays and numbers) are equal."""
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        _assert_same_bits(a, b)
    elif isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same_state(x, y)
    elif hasattr(a, "__dict__"):
        assert vars(a).keys() == vars(b).keys()
        for name in vars(a):
            _assert_same_state(getattr(a, name), getattr(b, name))
    else:
        assert a == b


def _assert_same_model(original, loaded, X):
    assert type(loaded) is type(original)
    assert loaded.get_params() == original.get_params()
    for name in ("classes_", "coef_", "intercept_"):
        _assert_same_bits(getattr(original, name), getattr(loaded, name))
    _assert_same_bits(original.feature_names_in_, loaded.feature_names_in_)
    assert loaded.n_iter_ == original.n_iter_
    assert loaded.loss_curve_ == original.loss_curve_
    _assert_same_state(original._stochastic_state, loaded._stochastic_state)
    X = X.astype(original.coef_.dtype)
    _assert_same_bits(original.predict_proba(X), loaded.predict_proba(X))
    _assert_same_bits(original.predict(X), loaded.predict(X))


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("model", MODELS)
def test_round_trip_is_bitwise(model, round_trip, tmp_path):
    original = MODELS[model]()
    loaded = ROUND_TRIPS[round_trip](original, tmp_path)
    X, _ = _data()
    _assert_same_model(original, loaded, X)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("model", RESUMABLE)
def test_partial_fit_resumes_bitwise_after_round_trip(model, round_trip, tmp_path):
    # The optimiser's moments, the schedule, the shuffling seed and the class
    # totals all survive: continuing gives the very same coefficients.
    original = MODELS[model]()
    loaded = ROUND_TRIPS[round_trip](original, tmp_path)
    X, y = _data()
    for clf in (original, loaded):
        for X_batch, y_batch in _batches(X, y, seed=1):
            clf.partial_fit(X_batch, y_batch)
    assert loaded.n_iter_ == original.n_iter_
    _assert_same_model(original, loaded, X)


def test_round_trip_does_not_share_state(tmp_path):
    original = MODELS["partial_fit-adam"]()
    loaded = _pickle(original, tmp_path)
    before = original.coef_.copy()
    X, y = _data()
    loaded.partial_fit(X, y)
    _assert_same_bits(original.coef_, before)
    assert not np.array_equal(loaded.coef_, before)


# ------------------------------------------------------------------------ skops
@pytest.fixture(scope="module")
def skops_io():
    return pytest.importorskip("skops.io")


def _dump(skops_io, model, tmp_path):
    path = tmp_path / "model.skops"
    skops_io.dump(model, path)
    return path


@pytest.mark.parametrize("model", MODELS)
def test_skops_untrusted_types_are_trusted_types(skops_io, model, tmp_path):
    path = _dump(skops_io, MODELS[model](), tmp_path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert "sk_softmax._classifier.SoftmaxClassifier" in untrusted
    assert set(untrusted) <= set(TRUSTED_TYPES)


def test_trusted_types_are_exactly_those_of_fitted_models(skops_io, tmp_path):
    # No stale entry: every trusted name appears in some fitted model.
    seen = set()
    for make in MODELS.values():
        seen |= set(
            skops_io.get_untrusted_types(file=_dump(skops_io, make(), tmp_path))
        )
    assert seen == set(TRUSTED_TYPES)


@pytest.mark.parametrize("name", TRUSTED_TYPES)
def test_trusted_types_name_sk_softmax_classes(name):
    assert name.startswith("sk_softmax.")
    module, _, qualname = name.rpartition(".")
    cls = getattr(importlib.import_module(module), qualname)
    assert inspect.isclass(cls)
    assert f"{cls.__module__}.{cls.__qualname__}" == name


def test_trusted_types_cannot_be_widened_by_accident():
    assert isinstance(TRUSTED_TYPES, tuple)
    assert len(set(TRUSTED_TYPES)) == len(TRUSTED_TYPES)


@pytest.mark.parametrize("model", ["lbfgs", "partial_fit-adam"])
def test_skops_load_without_trust_raises(skops_io, model, tmp_path):
    from skops.io.exceptions import UntrustedTypesFoundException

    path = _dump(skops_io, MODELS[model](), tmp_path)
    with pytest.raises(UntrustedTypesFoundException):
        skops_io.load(path)
    # The explicit list is all skops needs.
    loaded = skops_io.load(path, trusted=list(TRUSTED_TYPES))
    X, _ = _data()
    _assert_same_model(MODELS[model](), loaded, X)


def test_skops_refuses_a_type_outside_the_list(skops_io, tmp_path):
    from skops.io.exceptions import UntrustedTypesFoundException

    model = MODELS["sgd"]()
    # A foreign object smuggled into the model must not be trusted. (Not a
    # pandas object: skops 0.16 cannot save pandas 2.2's DateOffset.)
    model.extra_ = datetime.timedelta(days=1)
    path = _dump(skops_io, model, tmp_path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert not set(untrusted) <= set(TRUSTED_TYPES)
    with pytest.raises(UntrustedTypesFoundException):
        load_skops(path)


def test_skops_pipeline(skops_io, tmp_path):
    # scikit-learn's own types are trusted by skops already.
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), SoftmaxClassifier(solver="adam", random_state=0)
    )
    pipe.fit(X, y)
    loaded = load_skops(_dump(skops_io, pipe, tmp_path))
    _assert_same_bits(pipe.predict_proba(X), loaded.predict_proba(X))
    _assert_same_state(pipe[-1]._stochastic_state, loaded[-1]._stochastic_state)


def test_skops_file_object(skops_io, tmp_path):
    model = MODELS["partial_fit-sgd"]()
    path = _dump(skops_io, model, tmp_path)
    with open(path, "rb") as file:
        loaded = load_skops(file)
    X, _ = _data()
    _assert_same_model(model, loaded, X)


def test_skops_extra_trusted(skops_io, tmp_path):
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    from skops.io.exceptions import UntrustedTypesFoundException

    X, y = _data()
    model = SoftmaxClassifier(solver="lbfgs")
    model.set_callbacks(callback.ProgressBar())
    model.fit(X, y)
    path = _dump(skops_io, model, tmp_path)
    extra = [
        t for t in skops_io.get_untrusted_types(file=path) if t not in TRUSTED_TYPES
    ]
    assert extra and all(t.startswith("sklearn.callback.") for t in extra)
    with pytest.raises(UntrustedTypesFoundException):
        load_skops(path)
    loaded = load_skops(path, extra_trusted=extra)
    _assert_same_bits(model.coef_, loaded.coef_)


def test_load_skops_without_skops(monkeypatch, tmp_path):
    # A None entry in sys.modules makes the import fail, as if not installed.
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match=r'pip install "\.\[skops\]"'):
        load_skops(tmp_path / "model.skops")
