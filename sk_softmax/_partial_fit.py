"""The one path of ``partial_fit``: one epoch of mini-batch steps on a batch."""

from dataclasses import replace

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from sk_softmax._backends._common import attribute_maker, penalty_of
from sk_softmax._callbacks import FitReporter
from sk_softmax._convergence import diverged
from sk_softmax._guards import (
    encode_known,
    partial_fit_classes,
    reject_datetimes,
    restore_on_error,
)
from sk_softmax._layout import CoefficientLayout
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._optim import LearningRate, NonFiniteError
from sk_softmax._stochastic_fit import (
    StochasticState,
    draw_seed,
    start,
    train_one_epoch,
)
from sk_softmax._weights import check_sample_weight, class_weight_vector


def partial_fit_model(estimator, solver, X, y, classes, sample_weight):
    """Train `estimator` for one epoch on a batch with stochastic `solver`."""
    first_call = not hasattr(estimator, "classes_")
    reporter = FitReporter(estimator, max_subtasks=1)
    with restore_on_error(estimator):
        classes = partial_fit_classes(estimator, classes, first_call)
        X, y, y_encoded = _validate_batch(estimator, X, y, classes, first_call)
        reporter.begin(X, y, sample_weight)
        sample_weight = check_sample_weight(
            sample_weight, X, dtype=X.dtype, allow_all_zero=True
        )
        state, coef = _start(estimator, solver, X, classes, first_call)
        totals = (
            np.zeros(len(classes)) if state.class_totals is None else state.class_totals
        )
        totals = totals + np.bincount(
            y_encoded, weights=sample_weight, minlength=len(classes)
        )
        state = replace(state, class_totals=totals)
        class_weights = class_weight_vector(estimator.class_weight, classes, totals)
        sample_weight = sample_weight * class_weights[y_encoded]
        attributes = attribute_maker(
            classes, estimator.n_features_in_, estimator.fit_intercept, X.dtype
        )
        if not np.any(sample_weight > 0):
            if first_call:  # nothing to learn from: the uninformed model
                vars(estimator).update(attributes(coef))
                _reset_records(estimator)
            reporter.end()
            return estimator
        objective = LinearSoftmaxLoss(
            X,
            y_encoded,
            len(classes),
            sample_weight,
            estimator.fit_intercept,
            penalty_of(estimator),
        )
        settings = estimator._stochastic_settings(solver.name)
        if not state.started:
            state = start(state, settings, objective)
        try:
            coef, value, state = train_one_epoch(state, settings, objective, coef)
        except NonFiniteError as exc:
            raise diverged(solver.name, exc) from exc
        if first_call:
            _reset_records(estimator)
        vars(estimator).update(attributes(coef))
        estimator.n_iter_ += 1
        estimator.converged_ = False
        estimator.loss_curve_ = [*estimator.loss_curve_, value]
        estimator.validation_loss_curve_ = None
        estimator._stochastic_state = state
        # One epoch, one sub-task; there is nothing left for a stop request.
        callback = reporter.solver_callback(solver.name, True, attributes)
        rate = LearningRate(*state.schedule).rate()
        callback(estimator.n_iter_, value, np.nan, rate, coef)
    reporter.end()
    return estimator


def _validate_batch(estimator, X, y, classes, first_call):
    """Validate a batch against the model; return ``X``, ``y`` and encoded labels."""
    reject_datetimes(X)
    X, y = validate_data(
        estimator,
        X,
        y,
        reset=first_call,
        accept_sparse="csr",
        dtype=[np.float64, np.float32] if first_call else estimator.coef_.dtype,
        ensure_min_samples=1,
    )
    if first_call:  # later labels must be in classes_, a stricter test
        check_classification_targets(y)
    return X, y, encode_known(y, classes)


def _start(estimator, solver, X, classes, first_call):
    """Return the solver state and coefficients the epoch starts from.

    The kept state when it belongs to `solver`; otherwise a state whose
    optimiser starts once the batch's objective is known. The coefficients are
    the fitted ones, or zero (uniform probabilities) on the first call.
    """
    layout = CoefficientLayout(
        X.shape[1], classes.shape[0], estimator.fit_intercept, X.dtype
    )
    if first_call:
        coef = np.zeros(layout.n_dof, dtype=layout.dtype)
    else:
        coef = layout.pack(estimator.coef_, estimator.intercept_)
    previous = getattr(estimator, "_stochastic_state", None)
    if not first_call and previous is not None and previous.solver == solver.name:
        return previous, coef
    totals = None if first_call or previous is None else previous.class_totals
    seed = draw_seed(estimator.random_state)
    return StochasticState(seed=seed, class_totals=totals), coef


def _reset_records(estimator):
    estimator.n_iter_ = 0
    estimator.converged_ = False
    estimator.loss_curve_ = []
    estimator.validation_loss_curve_ = None
