"""Reproducibility: the same random_state gives the same bits; warm starts resume.

Every solver is deterministic given ``random_state``: ``gd`` and ``lbfgs``
draw nothing, ``newton-cg`` draws its Hessian row subsample from it, ``sgd`` and
``adam`` their shuffling and validation split.

``warm_start`` resumes from the previous coefficients. Whether ``N`` iterations
and then ``N`` more equal ``2N`` at once depends on what else the solver
carries from one iteration to the next:

- ``newton-cg``: nothing but the coefficients (each Newton step is computed
  afresh, and the Hessian subsample is drawn again from the same seed), so the
  two runs agree exactly;
- ``sgd`` and ``adam``: their whole state (moments, learning-rate schedule,
  shuffling) is kept with the model and resumes, so they agree exactly;
- ``gd`` restarts its momentum and step size and ``lbfgs`` its curvature
  memory: they resume from the coefficients but take different steps, reaching
  the same optimum (tested to the solvers' tolerance).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

SOLVERS = ["auto", "gd", "lbfgs", "newton-cg", "sgd", "adam"]


def problem(n_samples=3000):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def bits(model):
    return model.coef_.tobytes() + model.intercept_.tobytes()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_same_bits(solver, sparse):
    X, y = problem()  # n >= 80 x the coefficients: newton-cg subsamples
    X = sp.csr_matrix(X) if sparse else X
    params = {"solver": solver, "max_iter": 20, "random_state": 3}
    first = quiet_fit(SoftmaxClassifier(**params), X, y)
    second = quiet_fit(SoftmaxClassifier(**params), X, y)
    assert bits(first) == bits(second)
    assert first.loss_curve_ == second.loss_curve_
    # A RandomState instance seeded alike gives the same model too.
    third = quiet_fit(
        SoftmaxClassifier(**{**params, "random_state": np.random.RandomState(3)}),
        X,
        y,
    )
    fourth = quiet_fit(
        SoftmaxClassifier(**{**params, "random_state": np.random.RandomState(3)}),
        X,
        y,
    )
    assert bits(third) == bits(fourth)


@pytest.mark.parametrize("solver", ["newton-cg", "sgd", "adam"])
def test_warm_start_resumes_exactly(solver):
    X, y = problem()
    params = {"solver": solver, "random_state": 0, "tol": 0.0, "alpha": 1e-3}
    if solver != "newton-cg":
        params["n_iter_no_change"] = 100
    straight = quiet_fit(SoftmaxClassifier(max_iter=6, **params), X, y)
    resumed = SoftmaxClassifier(max_iter=3, warm_start=True, **params)
    quiet_fit(resumed, X, y)
    quiet_fit(resumed, X, y)
    assert bits(resumed) == bits(straight)


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_warm_start_restarting_solvers_reach_the_same_optimum(solver):
    X, y = problem()
    params = {"solver": solver, "alpha": 1e-2, "tol": 1e-9, "max_iter": 10_000}
    straight = SoftmaxClassifier(**params).fit(X, y)
    resumed = SoftmaxClassifier(warm_start=True, **{**params, "max_iter": 5})
    quiet_fit(resumed, X, y)  # stops early: resumes below
    resumed.set_params(max_iter=10_000)
    resumed.fit(X, y)
    assert resumed.converged_
    # Both within tol of the optimum: the penalty's curvature alpha bounds the
    # distance by sqrt(n_dof) * tol / alpha.
    bound = np.sqrt(straight.coef_.size + 3) * 1e-9 / 1e-2
    np.testing.assert_allclose(resumed.coef_, straight.coef_, rtol=0, atol=2 * bound)
