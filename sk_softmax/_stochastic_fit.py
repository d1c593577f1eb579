"""Training with the stochastic solvers: state, learning rate, validation split.

The estimator keeps a :class:`StochasticState` between calls so that
``partial_fit`` (and a warm-started ``fit``) resumes exactly where training
stopped: the optimiser's moments, the learning-rate schedule, the shuffling
and, for ``class_weight='balanced'``, the running class totals. Epoch ``e``
is shuffled by a generator seeded with ``(seed, e)``, so the state is a few
small arrays and numbers, cheap to copy before each call.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from sk_softmax._optim import (
    Adam,
    LearningRate,
    MomentumSGD,
    iter_batches,
    minimize_stochastic,
    run_epoch,
)

STOCHASTIC_SOLVERS = ("sgd", "adam")
# The stochastic solver 'auto' uses for partial_fit and early stopping.
AUTO_STOCHASTIC = "sgd"
# batch_size='auto' gives min(_AUTO_BATCH, n_samples), as MLPClassifier.
_AUTO_BATCH = 200
# learning_rate_init='auto' for Adam: its steps are scale-free (about lr each),
# so at a constant rate the iterate settles in a noise ball whose size scales with
# lr; 0.001 (MLPClassifier's and Kingma & Ba's default) keeps that ball small.
_ADAM_RATE = 0.001


@dataclass
class StochasticState:
    """What a stochastic solver carries from one training call to the next.

    Attributes
    ----------
    solver : str or None
        ``'sgd'`` or ``'adam'``; None after a full-batch fit, which keeps only
        the class totals (and then `optimizer`, `schedule` and `seed` are None).
    optimizer : MomentumSGD or Adam
        The optimiser and its moments.
    schedule : LearningRate
        The learning-rate schedule and the number of samples seen.
    seed : int
        Seeds the shuffling of every epoch and the early-stopping split.
    epochs : int
        Number of epochs shuffled so far.
    class_totals : ndarray of shape (n_classes,)
        Sample weight seen per class, for ``class_weight='balanced'`` in
        ``partial_fit``.
    """

    solver: str
    optimizer: object
    schedule: LearningRate
    seed: int
    epochs: int = 0
    class_totals: np.ndarray = field(default=None)

    def copy(self):
        """Return a deep copy, to train on while the estimator keeps the original."""
        return copy.deepcopy(self)

    def next_epoch_rng(self):
        """Return the generator that shuffles the next epoch, and count it."""
        rng = np.random.default_rng([self.seed, self.epochs])
        self.epochs += 1
        return rng


def resolve_batch_size(batch_size, n_samples):
    """Return the batch size: ``min(200, n)`` for ``'auto'``, never above ``n``."""
    if batch_size == "auto":
        batch_size = _AUTO_BATCH
    return max(1, min(int(batch_size), n_samples))


def draw_seed(random_state):
    """Return the integer seed of a training run from `random_state`."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def new_state(params, solver, loss, seed):
    """Return a fresh state for `solver`; `params` are the estimator's.

    ``learning_rate_init='auto'`` is ``1 / L`` for ``'sgd'``, with ``L`` the
    bound on the objective's curvature of
    :meth:`~sk_softmax._loss.LinearSoftmaxLoss.initial_step` computed on the
    data of `loss` (the step of gradient descent that cannot diverge), and
    0.001 for ``'adam'``.
    """
    if solver == "sgd":
        optimizer = MomentumSGD(params["momentum"], params["nesterovs_momentum"])
    else:
        optimizer = Adam(params["beta_1"], params["beta_2"], params["epsilon"])
    rate = params["learning_rate_init"]
    if rate == "auto":
        rate = loss.initial_step() if solver == "sgd" else _ADAM_RATE
    schedule = LearningRate(params["learning_rate"], rate, params["power_t"])
    return StochasticState(solver, optimizer, schedule, seed)


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


def _solver_inputs(state, loss, params):
    """Keyword arguments shared by a full stochastic solve and a single epoch."""
    has_l1 = loss.penalty.l1 > 0
    n_samples = loss.n_samples
    return {
        "batch_size": resolve_batch_size(params["batch_size"], n_samples),
        "shuffle": state.next_epoch_rng if params["shuffle"] else None,
        "prox": loss.prox if has_l1 else None,
    }


def solve_stochastic(state, loss, coef0, params, validation_loss=None, callback=None):
    """Train from `coef0` with the state's solver until its stopping rule holds.

    Parameters
    ----------
    state : StochasticState
        Solver state; updated in place.
    loss : LinearSoftmaxLoss
        The objective on the training samples.
    coef0 : ndarray of shape (n_dof,)
        Starting point.
    params : dict
        The estimator's parameters.
    validation_loss : callable, default=None
        Held-out loss for early stopping.
    callback : callable, default=None
        Per-epoch callback (see :func:`~sk_softmax._optim.minimize_stochastic`).

    Returns
    -------
    result : OptimizeResult
    """
    inputs = _solver_inputs(state, loss, params)
    return minimize_stochastic(
        loss.batch_value_gradient,
        coef0,
        loss.n_samples,
        optimizer=state.optimizer,
        schedule=state.schedule,
        nonsmooth=loss.nonsmooth_value if inputs["prox"] is not None else None,
        validation_loss=validation_loss,
        tol=params["tol"],
        n_iter_no_change=params["n_iter_no_change"],
        max_iter=params["max_iter"],
        callback=callback,
        **inputs,
    )


def train_one_epoch(state, loss, coef0, params):
    """One pass of mini-batch steps over `loss`'s samples, from `coef0`.

    Returns the new coefficients and the epoch's training loss (penalty
    included).
    """
    inputs = _solver_inputs(state, loss, params)
    rng = inputs["shuffle"]() if inputs["shuffle"] is not None else None
    batches = iter_batches(loss.n_samples, inputs["batch_size"], rng)
    x, value = run_epoch(
        loss.batch_value_gradient,
        coef0,
        state.optimizer,
        state.schedule,
        batches,
        inputs["prox"],
        loss.n_samples,
    )
    return x, value + loss.nonsmooth_value(x)
