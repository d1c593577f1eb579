"""Epochs of mini-batch training, and the stochastic solver built from them.

An epoch shuffles the sample indices (from a random generator the caller owns,
so runs are reproducible and can resume), cuts them into batches and lets an
optimiser of :mod:`sk_softmax._optim._stochastic` take one step per batch. The
solver runs epochs until the monitored loss -- the training loss, or a held-out
validation loss with early stopping -- has not improved by at least ``tol`` for
``n_iter_no_change`` epochs in a row (the rule of scikit-learn's
``MLPClassifier``). An ``'adaptive'`` schedule divides the learning rate
instead of stopping, and the improvement is then measured against the epochs
of the new rate only: an earlier, noisier rate's luckiest epoch would otherwise
end training before the smaller steps have settled. With validation, the
parameters of the best epoch are returned. Like the other solvers it sees only
callables.
"""

import math

import numpy as np

from sk_softmax._optim._result import OptimizeResult


class NonFiniteError(FloatingPointError):
    """The iterates of a stochastic solver overflowed (the steps were too long)."""


def iter_batches(n_samples, batch_size, rng=None):
    """Yield the index arrays of one epoch's mini-batches.

    Parameters
    ----------
    n_samples : int
        Number of samples.
    batch_size : int
        Samples per batch; the last batch may be smaller.
    rng : numpy.random.Generator or RandomState, default=None
        Shuffles the samples when given; ``None`` keeps their order.

    Yields
    ------
    rows : ndarray of int
    """
    order = np.arange(n_samples) if rng is None else rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


def run_epoch(
    batch_value_gradient,
    x,
    optimizer,
    schedule,
    batches,
    prox=None,
    n_samples=None,
    state=None,
):
    """One pass of mini-batch updates.

    Parameters
    ----------
    batch_value_gradient : callable
        ``batch_value_gradient(x, rows)`` returns ``(f, g, share)``: the smooth
        objective and its gradient on the batch, and the batch's share of the
        total sample weight; or ``None`` for a batch without weight, which is
        skipped.
    x : ndarray of shape (n_dof,)
        Starting point; not modified.
    optimizer : Optimizer
        Takes the steps.
    schedule : LearningRate
        Gives the rate of each step.
    batches : iterable of ndarray of int
        The batches' sample indices.
    prox : callable, default=None
        ``prox(x, step)``, the proximal operator of the non-smooth term.
    n_samples : int, default=None
        Number of samples the shares refer to. When given, each batch's
        gradient (a weighted mean over the batch) is scaled by its share of
        the weight divided by its share of the samples, capped at 1: a batch
        of near-weightless samples takes a near-zero step, as a weightless
        one takes none, and no batch steps further than with unit weights.
    state : tuple, default=None
        The optimiser's state before the epoch; None starts it,
        ``optimizer.init(x)``.

    Returns
    -------
    x : ndarray of shape (n_dof,)
        The new iterate.
    loss : float
        Mean of the batch objectives weighted by their shares (NaN when no
        batch had weight): the running training loss of the epoch.
    state : tuple
        The optimiser's state after the epoch.
    schedule : LearningRate
        The schedule after the epoch.
    """
    state = optimizer.init(x) if state is None else state
    total = share = 0.0
    # Overflow is detected below, once per epoch, and reported as an error.
    with np.errstate(over="ignore", invalid="ignore"):
        for rows in batches:
            result = batch_value_gradient(x, rows)
            if result is None:
                continue
            f, g, w = result
            if n_samples is not None:
                scale = w * n_samples / len(rows)
                if scale < 1.0:
                    g = g * scale
            x, state = optimizer.update(state, x, g, schedule.rate(), prox)
            schedule = schedule.advance(len(rows))
            total += w * f
            share += w
    if not (np.all(np.isfinite(x)) and math.isfinite(total)):
        raise NonFiniteError(
            "the coefficients overflowed: the learning rate is too large for "
            "these data."
        )
    return x, (total / share if share > 0 else math.nan), state, schedule


def _stalled(first, score, tol, n_iter_no_change, validation_loss):
    """Return ``(converged, status, message)`` of a run whose loss stalled.

    Without validation the last iterate is returned: a loss that stalled
    above the first epoch's means the steps made the model worse (they are
    too long), not that it converged.
    """
    if validation_loss is None and score > first + max(tol, 1e-2 * abs(first)):
        return (
            False,
            "loss_rose",
            f"the training loss rose from {first:.4g} in the first epoch to "
            f"{score:.4g}, and stopped improving",
        )
    return (
        True,
        "converged",
        f"the monitored loss improved by less than tol for {n_iter_no_change} epochs",
    )


def minimize_stochastic(
    batch_value_gradient,
    x0,
    n_samples,
    *,
    optimizer,
    schedule,
    batch_size,
    state=None,
    shuffle=None,
    prox=None,
    nonsmooth=None,
    validation_loss=None,
    tol=1e-4,
    n_iter_no_change=10,
    max_iter=200,
    callback=None,
):
    """Minimise a finite-sum objective by epochs of mini-batch steps.

    Parameters
    ----------
    batch_value_gradient : callable
        As in :func:`run_epoch`.
    x0 : ndarray of shape (n_dof,)
        Starting point.
    n_samples : int
        Number of training samples.
    optimizer : Optimizer
        The optimiser.
    schedule : LearningRate
        The learning-rate schedule; ``'adaptive'`` reduces it instead of
        stopping when the loss stalls.
    batch_size : int
        Samples per mini-batch.
    shuffle : callable, default=None
        ``shuffle()`` returns the random generator that shuffles the next
        epoch's samples; ``None`` keeps their order.
    prox : callable, default=None
        Proximal operator ``prox(x, step)`` of the non-smooth term ``h``.
    nonsmooth : callable, default=None
        ``nonsmooth(x) -> h(x)``, added to the recorded training loss.
    validation_loss : callable, default=None
        ``validation_loss(x) -> float``. When given, it is the monitored loss
        (early stopping) and the best epoch's parameters are returned.
    tol : float, default=1e-4
        The improvement of the monitored loss that counts.
    n_iter_no_change : int, default=10
        Number of epochs without such an improvement before stopping.
    max_iter : int, default=200
        Maximum number of epochs.
    state : tuple, default=None
        The optimiser's state, carried from earlier training; None starts it.
    callback : callable, default=None
        Called as ``callback(n_iter, loss, validation_loss, rate, x)`` after
        each epoch (``validation_loss`` NaN without validation); returning
        True stops the solver.

    Returns
    -------
    result : OptimizeResult
        ``history`` holds the training loss per epoch and
        ``validation_history`` the validation loss per epoch.
    state : tuple
        The optimiser's state after the last epoch.
    schedule : LearningRate
        The schedule after the last epoch.
    """
    x = np.array(x0, copy=True)
    best_score, best_x, best_loss = math.inf, x, math.nan
    # The score to improve on; it restarts when the learning rate drops, so
    # that each rate is judged against its own epochs.
    reference = math.inf
    n_no_change = 0
    history, validation_history = [], []
    converged, message = False, "maximum number of epochs reached"
    status = "max_iter"
    n_iter = 0
    while n_iter < max_iter:
        rng = None if shuffle is None else shuffle()
        batches = iter_batches(n_samples, batch_size, rng)
        epoch = (optimizer, schedule, batches, prox, n_samples, state)
        x, loss, state, schedule = run_epoch(batch_value_gradient, x, *epoch)
        n_iter += 1
        if nonsmooth is not None:
            loss += nonsmooth(x)
        history.append(loss)
        if validation_loss is None:
            score = val = loss
        else:
            score = val = validation_loss(x)
            validation_history.append(val)
        n_no_change = n_no_change + 1 if score > reference - tol else 0
        reference = min(reference, score)
        if score < best_score:
            best_score, best_x, best_loss = score, x, loss
        if callback is not None and callback(
            n_iter,
            loss,
            math.nan if validation_loss is None else val,
            schedule.rate(),
            x,
        ):
            message, status = "stopped by callback", "callback"
            break
        if n_no_change >= n_iter_no_change:
            schedule, more = schedule.reduce()
            if not more:
                converged, status, message = _stalled(
                    history[0], score, tol, n_iter_no_change, validation_loss
                )
                break
            n_no_change, reference = 0, score
    if validation_loss is not None:
        x, loss = best_x, best_loss
    result = OptimizeResult(
        x=x,
        fun=loss,
        n_iter=n_iter,
        converged=converged,
        grad_norm=math.nan,
        history=history,
        validation_history=validation_history,
        message=message,
        status=status,
        stochastic=True,
    )
    return result, state, schedule
