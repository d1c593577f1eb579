"""Fitting on dask collections, on a real two-process LocalCluster.

The reference is the same estimator fitted on the same data as numpy arrays:
the objective reached agrees to a relative 1e-6 and the probabilities to 1e-5.
"""

import gc
import time
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends._dask import build_problem
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet

# A real LocalCluster per module: long; `python -m pytest -m slow` runs it.
pytestmark = pytest.mark.slow

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

FULL_BATCH = ["auto", "gd", "lbfgs", "newton-cg"]


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def digits(n_classes=10):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    keep = y < n_classes
    return X[keep], y[keep]


def objective(model, X, y, sample_weight=None):
    """The penalised objective of a fitted model on numpy data."""
    loss = LinearSoftmaxLoss(
        X,
        np.searchsorted(model.classes_, y),
        len(model.classes_),
        sample_weight=sample_weight,
        penalty=ElasticNet(model.alpha, model.l1_ratio),
    )
    coef = loss.pack(model.coef_, model.intercept_)
    return loss.value(coef) + loss.nonsmooth_value(coef)


def assert_same_fit(dask_model, numpy_model, X, y, sample_weight=None, frame=None):
    reached = objective(dask_model, X, y, sample_weight)
    optimum = objective(numpy_model, X, y, sample_weight)
    assert reached == pytest.approx(optimum, rel=1e-6)
    proba = dask_model.predict_proba(X if frame is None else frame)
    assert np.abs(proba - numpy_model.predict_proba(X)).max() < 1e-5


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_with_an_in_process_scheduler_the_chunks_stay_in_process(scheduler):
    # Whatever ran before: a client the cluster fixture left is bypassed.
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reference = SoftmaxClassifier(alpha=1e-2, tol=1e-8).fit(X, y)
    with warnings.catch_warnings(), dask.config.set(scheduler=scheduler):
        warnings.simplefilter("error", ConvergenceWarning)
        model = SoftmaxClassifier(alpha=1e-2, tol=1e-8).fit(
            da.from_array(X, chunks=(40, 4)), da.from_array(y, chunks=40)
        )
        pool = build_problem(model, da.from_array(X, chunks=(40, 4)), y, None)
    assert not pool.objective.data.chunks.remote
    assert len(pool.objective.data.chunks.chunks) == 1
    assert_same_fit(model, reference, X, y)


@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("container", ["array", "dataframe"])
def test_fit_on_the_cluster_equals_the_numpy_fit(client, solver, container):
    X, y = digits()
    params = {"solver": solver, "alpha": 1e-3, "tol": 1e-8}
    reference = SoftmaxClassifier(**params).fit(X, y)
    if container == "array":
        X_dask = da.from_array(X, chunks=(230, 64)).persist()
        y_dask = da.from_array(y, chunks=230).persist()
    else:
        columns = [f"pixel {j}" for j in range(64)]
        frame = pd.DataFrame(X, columns=columns)
        X_dask = dd.from_pandas(frame, npartitions=8)
        y_dask = dd.from_pandas(pd.Series(y), npartitions=8)
    model = SoftmaxClassifier(**params).fit(X_dask, y_dask)
    assert model.converged_
    assert_same_fit(
        model, reference, X, y, frame=None if container == "array" else frame
    )
    assert model.n_features_in_ == 64
    if container == "dataframe":
        assert_array_equal(model.feature_names_in_, columns)
    else:
        assert not hasattr(model, "feature_names_in_")


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_weights_and_binary_on_the_cluster(client, solver):
    X, y = digits(n_classes=2)
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.1, 3.0, size=len(y))
    params = {"solver": solver, "alpha": 1e-2, "tol": 1e-8, "class_weight": "balanced"}
    reference = SoftmaxClassifier(**params).fit(X, y, sample_weight=sample_weight)
    X_dask = da.from_array(X, chunks=(90, 64))
    y_dask = da.from_array(y, chunks=90)
    for weights in [sample_weight, da.from_array(sample_weight, chunks=50)]:
        model = SoftmaxClassifier(**params).fit(X_dask, y_dask, sample_weight=weights)
        assert model.coef_.shape == (1, 64)
        class_weights = len(y) / (2 * np.bincount(y, weights=sample_weight))
        assert_same_fit(model, reference, X, y, sample_weight * class_weights[y])


def test_l1_with_gd_on_the_cluster(client):
    X, y = digits(n_classes=3)
    params = {"solver": "gd", "alpha": 0.02, "l1_ratio": 1.0, "tol": 1e-8}
    reference = SoftmaxClassifier(**params).fit(X, y)
    model = SoftmaxClassifier(**params).fit(da.from_array(X, chunks=(200, 64)), y)
    assert_array_equal(model.coef_ == 0, reference.coef_ == 0)
    assert (model.coef_ == 0).sum() > 10
    assert_same_fit(model, reference, X, y)


def test_float32_stays_float32(client):
    X, y = digits(n_classes=3)
    X32 = X.astype(np.float32)
    model = SoftmaxClassifier(alpha=1e-2, tol=1e-4).fit(
        da.from_array(X32, chunks=(200, 64)), da.from_array(y, chunks=200)
    )
    assert model.coef_.dtype == np.float32
    reference = SoftmaxClassifier(alpha=1e-2, tol=1e-4).fit(X32, y)
    assert np.abs(model.predict_proba(X32) - reference.predict_proba(X32)).max() < 1e-3


@pytest.mark.parametrize("n_classes", [2, 3])
def test_predictions_on_dask_input_are_lazy(client, n_classes):
    X, y = digits(n_classes)
    labels = np.array(["zero", "one", "two"])[y]
    model = SoftmaxClassifier(alpha=1e-2).fit(X, labels)
    X_dask = da.from_array(X, chunks=(100, 64))
    for method in [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ]:
        lazy = getattr(model, method)(X_dask)
        assert isinstance(lazy, da.Array), method
        expected = getattr(model, method)(X)
        assert lazy.shape == expected.shape, method
        computed = lazy.compute()
        assert computed.dtype == expected.dtype, method
        if method == "predict":
            assert_array_equal(computed, expected)
        else:
            np.testing.assert_allclose(computed, expected, rtol=1e-12, atol=1e-12)
    assert model.score(X_dask, da.from_array(labels, chunks=100)) == model.score(
        X, labels
    )


def test_prediction_checks_features(client):
    X, y = digits(n_classes=3)
    columns = [f"c{j}" for j in range(64)]
    frame = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=4)
    model = SoftmaxClassifier(alpha=1e-2).fit(frame, dd.from_pandas(pd.Series(y), 4))
    assert model.predict(frame).compute().shape == (len(y),)
    assert_array_equal(model.predict(frame).compute(), model.predict(frame.compute()))
    renamed = frame.rename(columns={"c0": "z"})
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(renamed)
    with pytest.raises(ValueError, match="X has 10 features"):
        model.predict(da.zeros((5, 10), chunks=5))


def _nan_X(X, y, w):
    X[7, 3] = np.nan
    return X, y, w


@pytest.mark.parametrize(
    "spoil, match",
    [
        (_nan_X, "Input X contains NaN"),
        (lambda X, y, w: (X, y, -w), "sample_weight must be non-negative"),
        (lambda X, y, w: (X, np.zeros_like(y), w), "at least 2 classes"),
        (lambda X, y, w: (X, y[:-1], w), "inconsistent numbers of samples"),
        (lambda X, y, w: (X, y, 0 * w), "must not be all zero"),
    ],
    ids=["nan", "negative_weight", "one_class", "short_y", "zero_weights"],
)
def test_bad_dask_input_gets_a_clear_error_and_keeps_the_model(client, spoil, match):
    X, y = digits(n_classes=3)
    model = SoftmaxClassifier(alpha=1e-2).fit(X, y)
    before = model.coef_.copy(), model.n_iter_
    X_bad, y_bad, w_bad = spoil(X.copy(), y.copy(), np.ones(len(y)))
    with pytest.raises(ValueError, match=match):
        model.fit(
            da.from_array(X_bad, chunks=(100, 64)),
            da.from_array(y_bad, chunks=100),
            sample_weight=da.from_array(w_bad, chunks=100),
        )
    assert model.coef_.tobytes() == before[0].tobytes()
    assert model.n_iter_ == before[1]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_fit_on_dask_points_to_partial_fit(solver):
    X, y = digits(n_classes=3)
    with pytest.raises(ValueError, match="call partial_fit on the blocks"):
        SoftmaxClassifier(solver=solver).fit(da.from_array(X, chunks=100), y)


def test_warm_start_and_callbacks_on_the_cluster(client):
    pytest.importorskip("sklearn.callback")  # set_callbacks needs it
    X, y = digits(n_classes=3)
    X_dask = da.from_array(X, chunks=(200, 64))
    model = SoftmaxClassifier(solver="lbfgs", alpha=1e-2, tol=1e-8, warm_start=True)
    model.fit(X_dask, y)
    n_iter = model.n_iter_
    model.fit(X_dask, y)  # starts at the optimum
    assert model.n_iter_ < n_iter

    class Stop:
        def __init__(self):
            self.steps = 0

        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "iteration":
                self.steps += 1
                assert fitted_estimator.coef_.shape == (3, 64)
                return self.steps == 4
            return False

    stop = Stop()
    stopped = SoftmaxClassifier(solver="newton-cg", alpha=1e-2, tol=1e-12)
    with pytest.warns(ConvergenceWarning, match="stopped by callback"):
        stopped.set_callbacks(stop).fit(X_dask, y)
    assert stopped.n_iter_ == stop.steps == 4


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_streamed_fit_equals_the_numpy_fit(client, solver):
    # Nothing pinned: every evaluation maps over the blocks as dask tasks (here
    # persisted ones, so that the passes stay cheap; gd's many passes are left
    # out for time, its evaluations are lbfgs's).
    X, y = digits(n_classes=3)
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.5, 2.0, size=len(y))
    params = {"solver": solver, "alpha": 1e-2, "tol": 1e-8}
    reference = SoftmaxClassifier(**params).fit(X, y, sample_weight=sample_weight)
    with dask.config.set({"sk_softmax.memory": "streamed"}):
        problem = build_problem(
            SoftmaxClassifier(), da.from_array(X, chunks=(100, 64)), y, None
        )
        model = SoftmaxClassifier(**params).fit(
            da.from_array(X, chunks=(100, 64)).persist(),
            da.from_array(y, chunks=100).persist(),
            sample_weight=da.from_array(sample_weight, chunks=100).persist(),
        )
    assert type(problem.objective.data.chunks).__name__ == "StreamPool"
    assert model.converged_
    assert_same_fit(model, reference, X, y, sample_weight)


def test_unknown_memory_mode_is_refused(client):
    X, y = digits(n_classes=3)
    with (
        dask.config.set({"sk_softmax.memory": "disk"}),
        pytest.raises(ValueError, match=r"'sk_softmax\.memory' must be one of"),
    ):
        SoftmaxClassifier().fit(da.from_array(X, chunks=(100, 64)), y)


def _actors_on_workers(client):
    return sum(client.run(lambda dask_worker: len(dask_worker.state.actors)).values())


def _wait_for_actors(client, count, timeout=10.0):
    """Wait until the workers hold at most `count` actors; return how many."""
    deadline = time.monotonic() + timeout
    while (held := _actors_on_workers(client)) > count and time.monotonic() < deadline:
        time.sleep(0.1)
    return held


@pytest.mark.parametrize("solver", FULL_BATCH)
def test_a_fit_releases_its_chunk_losses_when_it_returns(client, solver):
    # The chunk losses hold the data on the workers: they must go when the fit
    # returns, by reference counting, not at some later cyclic garbage
    # collection (several fits in a row would otherwise pile them up).
    X, y = digits(n_classes=3)
    X_dask = da.from_array(X, chunks=(300, 64))
    gc.collect()
    before = _actors_on_workers(client)  # what earlier tests may have left
    gc.disable()
    try:
        SoftmaxClassifier(solver=solver, max_iter=5, tol=0).fit(X_dask, y)
        held = _wait_for_actors(client, before)
    finally:
        gc.enable()
    assert held <= before
