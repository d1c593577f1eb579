"""Concurrency: one fitted model shared by threads, and parallel model selection.

A fitted SoftmaxClassifier is read-only at predict time, so several threads may
call its predict methods at once (as a web service or joblib's threading
backend does) and must get exactly the single-threaded results, bit for bit.
GridSearchCV with ``n_jobs=2`` must work with both of joblib's backends
(process-based 'loky', and 'threading') and score exactly as ``n_jobs=1``.
"""

import itertools
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sk_softmax import SoftmaxClassifier

N_THREADS, N_CALLS = 8, 20
METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


def make_data(n_samples=600, n_features=20, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=1.5, size=(n_classes, n_features))
    y = np.arange(n_samples) % n_classes
    X = centers[y] + rng.normal(size=(n_samples, n_features))
    return X, y


def sparsify(X, seed=0):
    """CSR with about 70% of the entries zero."""
    rng = np.random.default_rng(seed)
    return sp.csr_matrix(np.where(rng.random(X.shape) < 0.7, 0.0, X))


@pytest.fixture(scope="module", params=["lbfgs", "newton-cg", "sgd"])
def solver(request):
    return request.param


@pytest.fixture(scope="module", params=["dense", "csr"])
def fitted(request, solver):
    """A model fitted on dense or CSR data, and chunks to predict on: several
    of one shape with different rows, so that threads writing a shared buffer
    would mix up their results, and one of a single row."""
    X, y = make_data()
    if request.param == "csr":
        X = sparsify(X)
    model = SoftmaxClassifier(solver=solver, random_state=0, alpha=1e-3).fit(X, y)
    X_new, y_new = make_data(n_samples=700, seed=1)
    if request.param == "csr":
        X_new = sparsify(X_new, seed=1)
    bounds = [0, 1, 2, 152, 302, 452, 602, 700]  # 1, 1, 150 x 4 and 98 rows
    chunks = [
        (X_new[start:stop], y_new[start:stop])
        for start, stop in itertools.pairwise(bounds)
    ]
    return model, chunks


def outputs(model, X, y):
    """Every predict method's output on X, as comparable bytes."""
    results = {}
    for method in METHODS:
        out = getattr(model, method)(X)
        results[method] = (out.dtype.str, out.shape, out.tobytes())
    results["score"] = model.score(X, y)
    return results


def test_concurrent_predictions_equal_single_threaded(fitted):
    model, chunks = fitted
    expected = [outputs(model, X, y) for X, y in chunks]
    barrier = threading.Barrier(N_THREADS)

    def worker(thread):
        barrier.wait()  # start together, to overlap as much as possible
        mismatches = []
        for call in range(N_CALLS):
            index = (thread + call) % len(chunks)
            X, y = chunks[index]
            got = outputs(model, X, y)
            if got != expected[index]:
                mismatches.append(
                    (
                        thread,
                        call,
                        index,
                        [m for m in got if got[m] != expected[index][m]],
                    )
                )
        return mismatches

    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        results = list(pool.map(worker, range(N_THREADS)))
    assert [m for result in results for m in result] == []
    # Nothing the threads did changed the model.
    assert [outputs(model, X, y) for X, y in chunks] == expected


def test_concurrent_predict_proba_on_one_big_input(fitted):
    """The same large input from every thread at once (one shared array)."""
    model, chunks = fitted
    X = sp.vstack([X for X, _ in chunks]) if sp.issparse(chunks[0][0]) else None
    if X is None:
        X = np.vstack([X for X, _ in chunks])
    expected = model.predict_proba(X).tobytes()
    expected_labels = model.predict(X).tobytes()

    def worker(_):
        return [
            (model.predict_proba(X).tobytes(), model.predict(X).tobytes())
            for _ in range(N_CALLS // 4)
        ]

    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        for result in pool.map(worker, range(N_THREADS)):
            for proba, labels in result:
                assert proba == expected
                assert labels == expected_labels


# ----------------------------------------------------------- GridSearchCV

PARAM_GRID = {"alpha": [1e-3, 1e-1], "solver": ["lbfgs", "newton-cg", "sgd", "adam"]}


def grid_search(n_jobs):
    X, y = make_data(n_samples=150, n_features=5, n_classes=3, seed=2)
    search = GridSearchCV(
        SoftmaxClassifier(random_state=0, max_iter=100),
        PARAM_GRID,
        cv=StratifiedKFold(3),
        n_jobs=n_jobs,
    )
    return search.fit(X, y)


@pytest.fixture(scope="module")
def sequential_search():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return grid_search(n_jobs=1)


def _parallel_backend(backend):
    return joblib.parallel_backend(backend)


def _parallel_config(backend):
    return joblib.parallel_config(backend=backend)


# Whether the stochastic solvers converge within max_iter is beside the point.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("context", [_parallel_backend, _parallel_config])
@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_grid_search_in_parallel_equals_sequential(sequential_search, backend, context):
    with context(backend):
        search = grid_search(n_jobs=2)
    expected = sequential_search.cv_results_
    assert list(search.cv_results_["params"]) == list(expected["params"])
    assert_array_equal(
        search.cv_results_["mean_test_score"], expected["mean_test_score"]
    )
    for split in range(3):
        key = f"split{split}_test_score"
        assert_array_equal(search.cv_results_[key], expected[key])
    assert search.best_params_ == sequential_search.best_params_
    best, reference = search.best_estimator_, sequential_search.best_estimator_
    assert best.coef_.tobytes() == reference.coef_.tobytes()
    assert best.intercept_.tobytes() == reference.intercept_.tobytes()
