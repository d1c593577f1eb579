"""Accelerated proximal gradient descent with backtracking and adaptive restart.

Minimises ``F(x) = f(x) + h(x)`` where ``f`` is smooth and ``h`` has a cheap
proximal operator (``h = 0`` or the L1 part of an elastic-net penalty). Each
iteration (FISTA with a line search, Beck & Teboulle 2009)::

    y      = x_k + beta_k (x_k - x_{k-1})              Nesterov extrapolation
    x_new  = prox_{t h}(y - t grad f(y))               proximal gradient step
    accept when f(x_new) <= f(y) + <grad f(y), x_new - y> + ||x_new - y||^2 / (2t)
    else   t <- t / 2 and retry

The step ``t`` grows by half after a step accepted at its first trial, so it
adapts to the local curvature in both directions. When ``F(x_new)`` would exceed
``F(x_k)`` the momentum is dropped and the step retried from ``x_k`` (adaptive
restart, O'Donoghue & Candes 2015), so ``F`` never increases.

The objective is a function of a linear map ``raw(x)`` (for a linear model, the
logits ``X @ W.T + b``), and the solver carries ``raw`` values along instead of
recomputing them: ``raw(y)`` is the same linear combination of ``raw(x_k)`` and
``raw(x_{k-1})``; without ``h`` a trial point ``y - t g`` has
``raw(y) - t raw(g)``, and halving ``t`` averages that with ``raw(y)``. An
iteration thus costs one gradient and one ``raw`` evaluation however many trial
steps it takes (with ``h``, one ``raw(x_new - y)`` per trial). Trial values and
``f(y)`` thus share their rounding errors, so the sufficient-decrease test stays
meaningful for decreases near machine precision; the carried values are
recomputed exactly every few iterations so those errors cannot accumulate.
Three ``raw``-sized arrays are allocated once and rotated. The solver never sees
the data: only these callables.

It stops when the largest entry of the gradient mapping (the gradient itself
when ``h = 0``) is at most ``tol`` at ``y`` and then also at ``x_new``, the
point returned; the second check costs one more gradient, at the end only.
"""

import math

import numpy as np

from sk_softmax._optim._result import OptimizeResult, max_abs

_GROW = 2.0
_SHRINK = 0.5
_MAX_BACKTRACK = 60
_REFRESH_EVERY = 20


def _optimality(y, g, prox, step):
    """Largest entry of the gradient mapping ``(y - prox(y - s g)) / s`` at ``y``.

    The reference step ``s`` is fixed (the initial step), so the measure does
    not vanish merely because the line search made the current step tiny.
    Without a proximal term it is the gradient itself.
    """
    if prox is None:
        return max_abs(g)
    return max_abs(y - prox(y - step * g, step)) / step


def _extrapolate(x, x_prev, r, r_prev, beta):
    """Nesterov's point ``y = x + beta (x - x_prev)`` and its ``raw`` value.

    ``raw(y)`` is written into `r_prev`, which is not needed afterwards.
    Without momentum (``beta <= 0`` or no previous point) ``y`` is ``x``.
    """
    if beta > 0 and x_prev is not None:
        y = x + beta * (x - x_prev)
        r_y = r_prev
        np.subtract(r, r_prev, out=r_y)
        r_y *= beta
        r_y += r
        return y, r_y
    return x, r


def _refresh(value, raw, h, x, x_prev, r, r_prev):
    """Recompute the carried ``raw`` values of ``x`` and ``x_prev`` in place.

    Returns the objective at ``x``, free of the rounding errors the carried
    values accumulated.
    """
    raw(x, out=r)
    raw(x_prev, out=r_prev)
    return value(x, r) + h(x)


def _backtrack(value, raw, prox, y, r_y, f_y, g_y, t, slack, r_new):
    """Shrink the step from `t` until the proximal step from ``y`` decreases enough.

    Writes the trial point's ``raw`` value into `r_new` and returns
    ``(x_new, f_new, model, t, n_trials)``: the point, its smooth value, the
    quadratic upper model it was tested against, the step taken and the
    number of trials (at most ``_MAX_BACKTRACK``).
    """
    if prox is None:
        raw(g_y, out=r_new)
        r_new *= -t
        r_new += r_y
    n_trials = 0
    while True:
        n_trials += 1
        x_new = y - t * g_y
        d = x_new - y
        if prox is not None:
            x_new = prox(x_new, t)
            d = x_new - y
            # raw(y) + raw(d) rather than raw(x_new): both sides of the test
            # below then carry the same rounding errors, which cancel.
            raw(d, out=r_new)
            r_new += r_y
        f_new = value(x_new, r_new)
        model = f_y + float(g_y @ d) + float(d @ d) / (2.0 * t)
        if f_new <= model + slack or n_trials == _MAX_BACKTRACK:
            return x_new, f_new, model, t, n_trials
        t *= _SHRINK
        if prox is None:  # raw(y - t g / 2) = (raw(y) + raw(y - t g)) / 2
            r_new += r_y
            r_new *= _SHRINK


def minimize_gd(
    value_gradient,
    value,
    raw,
    x0,
    *,
    prox=None,
    nonsmooth=None,
    step=1.0,
    tol=1e-4,
    max_iter=1000,
    callback=None,
):
    """Minimise ``f + h`` by accelerated proximal gradient descent.

    Parameters
    ----------
    value_gradient : callable
        ``value_gradient(x, r) -> (f(x), grad f(x))`` where ``r = raw(x)``.
    value : callable
        ``value(x, r) -> f(x)`` where ``r = raw(x)``.
    raw : callable
        ``raw(x, out=None) -> r``, linear in ``x``; ``r`` is an ndarray, written
        into `out` when given.
    x0 : ndarray of shape (n_dof,)
        Starting point.
    prox : callable, default=None
        ``prox(x, t)``, the proximal operator of ``t * h``. ``None`` means
        ``h = 0``.
    nonsmooth : callable, default=None
        ``nonsmooth(x) -> h(x)``. Required when `prox` is given.
    step : float, default=1.0
        Initial step size, ideally ``1 / L`` for an upper bound ``L`` on the
        curvature of ``f``.
    tol : float, default=1e-4
        Stop when the gradient mapping's largest absolute entry is at most `tol`.
    max_iter : int, default=1000
        Maximum number of iterations.
    callback : callable, default=None
        Called as ``callback(n_iter, fun, grad_norm, step, x)`` after each
        iteration; returning True stops the solver.

    Returns
    -------
    result : OptimizeResult
    """
    h = nonsmooth if nonsmooth is not None else (lambda x: 0.0)
    x = np.array(x0, copy=True)
    r = raw(x)
    r_prev, r_free = np.empty_like(r), np.empty_like(r)
    F = value(x, r) + h(x)
    x_prev = None  # None: no momentum at the next iteration
    eps = np.finfo(x.dtype).eps
    theta = 1.0
    t = float(step)
    history = []
    converged, message = False, "maximum number of iterations reached"
    status = "max_iter"
    grad_norm = np.inf
    n_iter = 0
    while n_iter < max_iter:
        theta_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * theta * theta))
        beta = (theta - 1.0) / theta_next
        y, r_y = _extrapolate(x, x_prev, r, r_prev, beta)
        f_y, g_y = value_gradient(y, r_y)
        slack = 8 * eps * abs(f_y)
        r_new = r_free
        x_new, f_new, model, t, n_trials = _backtrack(
            value, raw, prox, y, r_y, f_y, g_y, t, slack, r_new
        )
        if f_new > model + slack:
            message = "the line search found no step that decreases the objective"
            status = "no_progress"
            break
        n_iter += 1
        grad_norm = _optimality(y, g_y, prox, step)
        F_new = f_new + h(x_new)
        accepted = F_new <= F + slack or y is x
        if accepted:
            x_prev, x = x, x_new
            # rotate: the old r becomes r_prev; r_y (held in r_prev) is free
            r_prev, r, r_free = r, r_new, r_prev
            F = F_new
            theta = theta_next
            if n_iter % _REFRESH_EVERY == 0:  # drop the rounding errors carried
                F = _refresh(value, raw, h, x, x_prev, r, r_prev)
        else:
            # Momentum made things worse: restart from x_k without it.
            x_prev, theta = None, 1.0
        if n_trials == 1 and f_new + slack <= model:
            # Accepted at once, by more than rounding noise: try a longer step.
            # (Within the noise the test says nothing about the step; keep it.)
            t *= _GROW
        history.append(F)
        if accepted and grad_norm <= tol:
            # Optimal enough at y; confirm at the point returned, x_new.
            grad_norm = _optimality(x, value_gradient(x, r)[1], prox, step)
            if grad_norm <= tol:
                converged, message, status = True, "converged", "converged"
        if callback is not None and callback(n_iter, F, grad_norm, t, x):
            message, status = "stopped by callback", "callback"
            break
        if converged:
            break
    return OptimizeResult(
        x, F, n_iter, converged, grad_norm, history, message=message, status=status
    )
