"""The one path of ``fit``: build the problem, pick the solver, solve, store, warn.

Every kind of input goes through :func:`fit_model`; only the backend that
builds the :class:`~sk_softmax._backends.Problem` differs.
"""

from dataclasses import replace

import numpy as np

from sk_softmax._backends import build_problem, input_kind, to_host
from sk_softmax._callbacks import FitReporter
from sk_softmax._convergence import diverged, overflowed, warn_if_not_converged
from sk_softmax._guards import restore_on_error
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._optim import NonFiniteError
from sk_softmax._solvers import FullBatchSettings, check_solver, resolve_solver
from sk_softmax._stochastic_fit import (
    StochasticState,
    draw_seed,
    solve_stochastic,
    start,
    validation_split,
)


def fit_model(estimator, X, y, sample_weight):
    """Fit `estimator` on any kind of input; return it.

    A failure (or a warning turned into an error) leaves the estimator
    exactly as it was.
    """
    check_solver(
        estimator.solver,
        estimator.l1_ratio,
        estimator.alpha,
        estimator.early_stopping,
        input_kind(X),
    )
    reporter = FitReporter(estimator, max_subtasks=estimator.max_iter)
    with restore_on_error(estimator):
        problem = build_problem(estimator, X, y, sample_weight)
        try:
            result, state, solver = _solve(estimator, problem, reporter)
        finally:
            problem.release()
        warn_if_not_converged(result, solver, estimator.tol, estimator.max_iter)
    vars(estimator).update(problem.attributes(result.x))
    estimator.n_iter_ = result.n_iter
    estimator.converged_ = result.converged
    estimator.loss_curve_ = list(result.history)
    estimator.validation_loss_curve_ = (
        list(result.validation_history) if estimator.early_stopping else None
    )
    estimator._stochastic_state = state
    reporter.end()
    return estimator


def _solve(estimator, problem, reporter):
    """Pick the solver for `problem` and run it; return result, state, solver name."""
    record_features(estimator, problem)
    reporter.begin(*problem.report)
    solver = resolve_solver(
        estimator.solver,
        problem,
        estimator.alpha * estimator.l1_ratio,
        estimator.early_stopping,
    )
    callback = reporter.solver_callback(
        solver.name, solver.stochastic, problem.attributes
    )
    if solver.stochastic:
        result, state = _solve_stochastic(estimator, solver, problem, callback)
    else:
        result = _solve_full_batch(estimator, solver, problem, callback)
        # Only the class totals carry over to a later partial_fit.
        state = StochasticState(class_totals=problem.class_totals)
    return result, state, solver.name


def record_features(estimator, problem):
    """Set ``n_features_in_`` and ``feature_names_in_`` (or drop it) from `problem`."""
    estimator.n_features_in_ = problem.n_features
    if problem.feature_names is not None:
        estimator.feature_names_in_ = problem.feature_names
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def compatible(estimator, classes, n_features):
    """Whether `estimator` holds a fitted model with these classes and features."""
    previous = getattr(estimator, "coef_", None)
    return (
        previous is not None
        and np.array_equal(to_host(estimator.classes_), to_host(classes))
        and previous.shape[1] == n_features
    )


def initial_coef(estimator, objective, classes):
    """Return the start point of a fit.

    The previous solution when warm-starting a compatible model; otherwise
    zero weights and the intercept at its optimum.
    """
    if estimator.warm_start and compatible(
        estimator, classes, objective.layout.n_features
    ):
        return objective.pack(to_host(estimator.coef_), to_host(estimator.intercept_))
    return objective.intercept_only_coef()


def _solve_full_batch(estimator, solver, problem, callback):
    """Run a full-batch `solver` on the problem with the estimator's settings.

    An overflow (finite features too large for the dtype) is a ValueError
    that says what to do, not a numpy warning and a crash further on.
    """
    settings = FullBatchSettings(
        estimator.tol, estimator.max_iter, estimator.random_state
    )
    x0 = initial_coef(estimator, problem.objective, problem.classes)
    try:
        with np.errstate(over="raise", invalid="raise"):
            return solver.run(problem.objective, x0, settings, callback)
    except (FloatingPointError, ZeroDivisionError) as exc:
        raise overflowed(solver.name, exc) from exc


def _solve_stochastic(estimator, solver, problem, callback):
    """Run a stochastic `solver` to its stopping rule; return result and state.

    With ``warm_start`` and a compatible model trained by the same solver, the
    previous state (moments, learning rate, shuffling) continues.
    """
    X, y, sample_weight = problem.data
    previous = getattr(estimator, "_stochastic_state", None)
    resume = (
        estimator.warm_start
        and previous is not None
        and previous.solver == solver.name
        and compatible(estimator, problem.classes, X.shape[1])
    )
    state = (
        previous if resume else StochasticState(seed=draw_seed(estimator.random_state))
    )
    penalty = problem.objective.penalty
    fit_intercept = estimator.fit_intercept
    n_classes = len(problem.classes)
    validation_loss = None
    if estimator.early_stopping:
        train, held_out = validation_split(
            y, sample_weight, estimator.validation_fraction, state.seed
        )
        validation_loss = LinearSoftmaxLoss(
            X[held_out], y[held_out], n_classes, sample_weight[held_out], fit_intercept
        ).value
        X, y, sample_weight = X[train], y[train], sample_weight[train]
    objective = LinearSoftmaxLoss(
        X, y, n_classes, sample_weight, fit_intercept, penalty
    )
    settings = estimator._stochastic_settings(solver.name)
    if not resume:
        state = start(state, settings, objective)
    x0 = initial_coef(estimator, objective, problem.classes)
    try:
        result, state = solve_stochastic(
            state, settings, objective, x0, validation_loss, callback
        )
    except NonFiniteError as exc:
        raise diverged(solver.name, exc) from exc
    return result, replace(state, class_totals=problem.class_totals)
