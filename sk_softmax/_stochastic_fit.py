"""Training with the stochastic solvers: settings, state, validation split.

The estimator keeps a :class:`StochasticState` between calls so that
``partial_fit`` (and a warm-started ``fit``) resumes exactly where training
stopped: the optimiser's hyper-parameters and moments, the learning-rate
schedule, the shuffling and, for ``class_weight='balanced'``, the running class
totals. Epoch ``e`` is shuffled by a generator seeded with ``(seed, e)``. The
state is an immutable record of plain values -- training returns a new one --
so a failed call leaves the kept state as it was, with no copy.
"""

from dataclasses import dataclass, replace

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from sk_softmax._objective._minibatch import batch_value_gradient
from sk_softmax._optim import (
    LearningRate,
    adam,
    iter_batches,
    minimize_stochastic,
    momentum_sgd,
    run_epoch,
)

# batch_size='auto' gives min(_AUTO_BATCH, n_samples), as MLPClassifier.
_AUTO_BATCH = 200
# learning_rate_init='auto' for Adam: its steps are scale-free (about lr each),
# so at a constant rate the iterate settles in a noise ball whose size scales with
# lr; 0.001 (MLPClassifier's and Kingma & Ba's default) keeps that ball small.
_ADAM_RATE = 0.001


@dataclass(frozen=True)
class StochasticSettings:
    """The settings of a stochastic solver, from the estimator's parameters.

    The attributes are the estimator's parameters of the same names (see
    :class:`~sk_softmax.SoftmaxClassifier`); `solver` is ``'sgd'`` or
    ``'adam'``.
    """

    solver: str
    batch_size: object = "auto"
    learning_rate: str = "constant"
    learning_rate_init: object = "auto"
    power_t: float = 0.5
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    shuffle: bool = True
    tol: float = 1e-4
    n_iter_no_change: int = 10
    max_iter: int = 200
    early_stopping: bool = False
    validation_fraction: float = 0.1


@dataclass(frozen=True)
class StochasticState:
    """What a stochastic solver carries from one training call to the next.

    Attributes
    ----------
    solver : str or None
        ``'sgd'`` or ``'adam'``; None after a full-batch fit, which keeps only
        the class totals, or before the first mini-batch step.
    hyper : tuple
        The optimiser's hyper-parameters: ``(momentum, nesterov)`` or
        ``(beta_1, beta_2, epsilon)``.
    moments : tuple or None
        The optimiser's state (see :mod:`sk_softmax._optim._stochastic`);
        None before its first step.
    schedule : tuple or None
        The fields of the :class:`~sk_softmax._optim.LearningRate` record.
    seed : int or None
        Seeds the shuffling of every epoch and the early-stopping split.
    epochs : int
        Number of epochs shuffled so far.
    class_totals : ndarray of shape (n_classes,) or None
        Sample weight seen per class, for ``class_weight='balanced'`` in
        ``partial_fit``.
    """

    solver: object = None
    hyper: tuple = ()
    moments: object = None
    schedule: object = None
    seed: object = None
    epochs: int = 0
    class_totals: object = None

    @property
    def started(self):
        """Whether the optimiser and its schedule exist."""
        return self.schedule is not None


def resolve_batch_size(batch_size, n_samples):
    """Return the batch size: ``min(200, n)`` for ``'auto'``, never above ``n``."""
    if batch_size == "auto":
        batch_size = _AUTO_BATCH
    return max(1, min(int(batch_size), n_samples))


def draw_seed(random_state):
    """Return the integer seed of a training run from `random_state`."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def start(state, settings, objective):
    """Return `state` with a fresh optimiser and schedule for `settings`.

    ``learning_rate_init='auto'`` is ``1 / L`` for ``'sgd'``, with ``L`` the
    bound on the objective's curvature of
    :meth:`~sk_softmax._objective.PenalizedObjective.initial_step` (the step
    of gradient descent that cannot diverge), and 0.001 for ``'adam'``.
    """
    if settings.solver == "sgd":
        hyper = (float(settings.momentum), bool(settings.nesterovs_momentum))
    else:
        hyper = tuple(
            float(v) for v in (settings.beta_1, settings.beta_2, settings.epsilon)
        )
    rate = settings.learning_rate_init
    if rate == "auto":
        rate = objective.initial_step() if settings.solver == "sgd" else _ADAM_RATE
    schedule = LearningRate.start(settings.learning_rate, rate, settings.power_t)
    return replace(
        state,
        solver=settings.solver,
        hyper=hyper,
        moments=None,
        schedule=tuple(schedule),
    )


def _optimizer(state):
    """Return the ``(init, update)`` pair of the state's solver."""
    return momentum_sgd(*state.hyper) if state.solver == "sgd" else adam(*state.hyper)


class _Shuffler:
    """Hands out each epoch's generator, seeded by ``(seed, epoch)``, and counts."""

    def __init__(self, seed, epochs):
        self.seed, self.epochs = seed, epochs

    def __call__(self):
        rng = np.random.default_rng([self.seed, self.epochs])
        self.epochs += 1
        return rng


def _inputs(state, settings, objective, x0):
    """Return what a full stochastic solve and a single epoch start from."""
    prox = objective.prox if objective.penalty.l1 > 0 else None
    return {
        "optimizer": _optimizer(state),
        "state": state.moments,
        "schedule": LearningRate(*state.schedule),
        "prox": prox,
        "batch_size": resolve_batch_size(settings.batch_size, objective.n_samples),
    }


def solve_stochastic(
    state, settings, objective, x0, validation_loss=None, callback=None
):
    """Train from `x0` with the state's solver until its stopping rule holds.

    Returns
    -------
    result : OptimizeResult
    state : StochasticState
        The state after training.
    """
    inputs = _inputs(state, settings, objective, x0)
    shuffler = _Shuffler(state.seed, state.epochs) if settings.shuffle else None
    result, moments, schedule = minimize_stochastic(
        lambda x, rows: batch_value_gradient(objective, x, rows),
        x0,
        objective.n_samples,
        nonsmooth=objective.nonsmooth_value if inputs["prox"] is not None else None,
        validation_loss=validation_loss,
        shuffle=shuffler,
        tol=settings.tol,
        n_iter_no_change=settings.n_iter_no_change,
        max_iter=settings.max_iter,
        callback=callback,
        **inputs,
    )
    epochs = state.epochs if shuffler is None else shuffler.epochs
    return result, replace(
        state, moments=moments, schedule=tuple(schedule), epochs=epochs
    )


def train_one_epoch(state, settings, objective, x0):
    """One pass of mini-batch steps over `objective`'s samples, from `x0`.

    Returns the new coefficients, the epoch's training loss (penalty
    included) and the state after the epoch.
    """
    inputs = _inputs(state, settings, objective, x0)
    shuffler = _Shuffler(state.seed, state.epochs) if settings.shuffle else None
    rng = shuffler() if shuffler is not None else None
    batches = iter_batches(objective.n_samples, inputs["batch_size"], rng)
    x, value, moments, schedule = run_epoch(
        lambda x, rows: batch_value_gradient(objective, x, rows),
        x0,
        inputs["optimizer"],
        inputs["schedule"],
        batches,
        inputs["prox"],
        objective.n_samples,
        inputs["state"],
    )
    epochs = state.epochs if shuffler is None else shuffler.epochs
    state = replace(state, moments=moments, schedule=tuple(schedule), epochs=epochs)
    return x, value + objective.nonsmooth_value(x), state


def validation_split(y, sample_weight, fraction, seed):
    """Return the indices of a stratified training/validation split.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded labels.
    sample_weight : ndarray of shape (n_samples,)
        Weights; both parts must carry some.
    fraction : float
        Share of the samples held out for validation.
    seed : int
        Seeds the split.

    Returns
    -------
    train, validation : ndarray of int
    """
    try:
        train, validation = train_test_split(
            np.arange(len(y)), test_size=fraction, stratify=y, random_state=seed
        )
    except ValueError as exc:
        raise ValueError(
            f"early_stopping could not hold out validation_fraction={fraction} "
            f"of the samples, stratified by class: {exc} Use more samples, a "
            "larger validation_fraction, or early_stopping=False."
        ) from exc
    if not (sample_weight[train].sum() > 0 and sample_weight[validation].sum() > 0):
        raise ValueError(
            "early_stopping: the training or the validation part of the samples "
            "has zero total weight; use early_stopping=False."
        )
    return np.sort(train), np.sort(validation)
