"""Truncated Newton (Newton-CG) with a line search, for smooth convex objectives.

Each outer iteration solves the Newton system ``H p = -g`` approximately by
conjugate gradients, using only Hessian-vector products, to the relative
residual ``eta_k = min(0.5, sqrt(||g_k||))`` (a forcing sequence that makes the
method superlinear near the optimum while keeping early inner solves cheap),
then takes the largest step ``t`` in ``1, 1/2, 1/4, ...`` that satisfies the
Armijo condition ``f(x + t p) <= f(x) + 1e-4 t <g, p>``.

The objective is a function of a linear map ``raw(x)``: the trial point's
``raw`` value is kept and handed back with the next gradient, so an outer
iteration costs one ``raw`` product, one gradient product and two products per
inner iteration. Two ``raw``-sized arrays are allocated once and swapped. The
solver sees only callables, never the data. It stops when the gradient's
largest absolute entry is at most ``tol``.
"""

import math

import numpy as np

from sk_softmax._optim._result import OptimizeResult, max_abs

_ARMIJO = 1e-4
_MAX_BACKTRACK = 40
_MAX_CG = 200


def _dot(a, b):
    """Inner product accumulated in float64: float32 ones overflow past 3e38."""
    return float(np.dot(a.astype(np.float64, copy=False), b.astype(np.float64)))


def _conjugate_gradient(hessp, g, rtol, max_iter):
    """Approximately solve ``H p = -g`` by conjugate gradients from ``p = 0``.

    Stops when ``||H p + g|| <= rtol * ||g||``, after `max_iter` iterations, or
    when a direction of non-positive curvature appears (then the current
    iterate, or ``-g`` at the first iteration, is returned).

    Returns
    -------
    p : ndarray
        The approximate Newton direction.
    n_iter : int
        Number of Hessian-vector products used.
    """
    p = np.zeros_like(g)
    residual = -g  # -g - H p with p = 0
    direction = residual.copy()
    rr = _dot(residual, residual)
    target = (rtol**2) * rr
    for n_iter in range(1, max_iter + 1):
        # H times the unit direction u = d / |d|: H is of the order of X.T X,
        # and H d itself overflows float32 for features of order 1e12.
        norm = math.sqrt(_dot(direction, direction))
        Hu = hessp(direction / norm)
        curvature = _dot(direction, Hu) * norm  # d.H d, in float64
        if curvature <= float(np.finfo(g.dtype).tiny):
            return (-g if n_iter == 1 else p), n_iter
        step = rr / curvature
        p += step * direction
        residual -= (step * norm) * Hu
        rr_new = _dot(residual, residual)
        if rr_new <= target:
            return p, n_iter
        direction *= rr_new / rr
        direction += residual
        rr = rr_new
    return p, max_iter


def minimize_newton_cg(
    gradient_hessp,
    value,
    raw,
    x0,
    *,
    tol=1e-4,
    max_iter=100,
    callback=None,
):
    """Minimise a smooth convex ``f`` by truncated Newton.

    Parameters
    ----------
    gradient_hessp : callable
        ``gradient_hessp(x, r) -> (f(x), grad f(x), hessp)`` where
        ``r = raw(x)`` and ``hessp(v)`` is the Hessian at ``x`` times ``v``.
    value : callable
        ``value(x, r) -> f(x)`` where ``r = raw(x)``.
    raw : callable
        ``raw(x, out=None) -> r``, linear in ``x``.
    x0 : ndarray of shape (n_dof,)
        Starting point.
    tol : float, default=1e-4
        Stop when the gradient's largest absolute entry is at most `tol`.
    max_iter : int, default=100
        Maximum number of Newton (outer) iterations.
    callback : callable, default=None
        Called as ``callback(n_iter, fun, grad_norm, step, x)`` after each
        iteration; returning True stops the solver.

    Returns
    -------
    result : OptimizeResult
    """
    x = np.array(x0, copy=True)
    r = raw(x)
    r_free = np.empty_like(r)
    history = []
    converged, message = False, "maximum number of iterations reached"
    status = "max_iter"
    n_iter = 0
    while True:
        f, g, hessp = gradient_hessp(x, r)
        grad_norm = max_abs(g)
        if grad_norm <= tol:
            converged, message, status = True, "converged", "converged"
            break
        if n_iter >= max_iter:
            break
        g_norm2 = math.sqrt(_dot(g, g))
        p, _ = _conjugate_gradient(
            hessp, g, rtol=min(0.5, np.sqrt(g_norm2)), max_iter=_MAX_CG
        )
        slope = _dot(g, p)
        if not slope < 0:  # not a descent direction: fall back to the gradient
            p, slope = -g, -(g_norm2**2)
        eps_f = 8 * np.finfo(x.dtype).eps * abs(f)
        t = 1.0
        for _ in range(_MAX_BACKTRACK):
            x_new = x + t * p
            raw(x_new, out=r_free)
            f_new = value(x_new, r_free)
            if f_new <= f + _ARMIJO * t * slope + eps_f:
                break
            t *= 0.5
        else:
            message = "the line search found no step that decreases the objective"
            status = "no_progress"
            break
        n_iter += 1
        x, r, r_free = x_new, r_free, r
        history.append(f_new)
        if callback is not None and callback(n_iter, f_new, grad_norm, t, x):
            message, status = "stopped by callback", "callback"
            break
    return OptimizeResult(
        x=x,
        fun=f if converged else value(x, r),
        n_iter=n_iter,
        converged=converged,
        grad_norm=grad_norm,
        history=history,
        message=message,
        status=status,
    )
