"""Proximal Newton with working sets, for the L1 and elastic-net penalties.

Minimises ``F(x) = f(x) + l1 * ||W||_1`` where ``f`` is the smooth part (the
cross-entropy plus the L2 term) and ``W`` the weights of the flat coefficients
``x`` (the intercept is never penalised). Each outer iteration:

1. **Optimality.** The full gradient ``g = grad f(x)`` gives the certified
   measure every full-batch solver stops on: the largest entry of the
   gradient mapping ``(x - prox(x - s g)) / s`` at the fixed reference step
   ``s`` (see :mod:`sk_softmax._optim._gd`). The solver stops when it is at
   most ``tol``.
2. **Working set.** A feature's violation is the largest, over the rows of
   all classes, distance from ``-g`` to the subdifferential of ``l1 * |w|``:
   ``max(|g| - l1, 0)`` where ``w = 0``, ``|g + l1 sign(w)|`` elsewhere.
   The working set holds every feature with a non-zero weight plus the
   largest violators, ``max(p0, 2 * support)`` features in all, growing
   geometrically as the support grows (as in blitz and skglm). A feature
   enters or leaves with all its class rows at once: the symmetric
   multinomial parameterisation has one weight per class and feature, and a
   feature only stops mattering when all of them are zero.
3. **Quadratic model.** ``q(d) = <g, d> + d' H d / 2 + l1 ||W + d_W||_1`` on
   the working set's weights and the intercepts, with ``H`` the Hessian of
   ``f`` at ``x``, applied through the softmax Jacobian
   (``p * (v - <p, v>)`` per sample) on ``X[:, ws]`` only
   (``working_set_model``): no (n, K, K) Jacobian and no Hessian matrix are
   formed. The inner solver is accelerated proximal gradient (FISTA with
   adaptive restart) on ``q``: each of its iterations costs one
   Hessian-vector product on the working set, i.e. two products with the
   narrow ``X[:, ws]``, vectorised across samples and classes. Coordinate
   descent over the per-class diagonal blocks would take fewer passes but
   needs a compiled loop over the coordinates; FISTA keeps the whole solver
   in array operations. The model is solved to a forcing tolerance, a fixed
   fraction of the current outer violation, so that early Newton steps are
   cheap and late ones accurate. The model's curvature may be an estimate
   (the data term's row subsample, drawn by the caller): the gradient, the
   line search and the stopping rule stay exact, and ``exact_hessian``
   switches to the exact curvature if an estimated direction fails.
4. **Damping.** The model's Hessian carries a Levenberg-Marquardt term
   ``mu I``. Far from the optimum of a nearly separable problem with a weak
   penalty, the softmax saturates and the Hessian is nearly singular along
   many directions: the undamped model's minimiser lies orders of magnitude
   too far (on a 20,000 x 20,000 sparse problem, a step of 8e4 that
   *raised* ``F``, while its inner solve took over a hundred products).
   ``mu`` starts at zero and follows the ratio of the actual to the
   predicted decrease: it rises when the line search shortens the step or
   the model predicted badly, and falls fourfold (to zero) after each full
   step the model predicted well, so that the final steps are undamped
   Newton steps and converge as fast as before.
5. **Line search.** Backtracking on the true objective along ``d`` from
   ``t = 1``, with the Armijo condition of Tseng and Yun (2009),
   ``F(x + t d) <= F(x) + sigma t Delta``, ``Delta = <g, d> + l1
   (||W + d_W||_1 - ||W||_1)``. The logits of the trial points are
   ``raw(x) + t raw(d)``: one narrow product per outer iteration. A step
   whose predicted decrease is below the rounding error of ``F`` is taken
   if it lowers the optimality measure.

The solver never sees the data: only the callables, the layout of the flat
coefficients and the L1 strength.
"""

from functools import partial

import numpy as np

from sk_softmax._optim._result import OptimizeResult, max_abs

_P0 = 10  # smallest working set, in features
_FORCING = 0.1  # inner tolerance, as a fraction of the outer violation
_MAX_INNER = 500
_SIGMA = 1e-4
_MAX_BACKTRACK = 40
_REFRESH_EVERY = 10
# Levenberg-Marquardt damping of the model, in units of the curvature bound
# 1 / step: the smallest non-zero value and the largest a failed step may ask.
_DAMPING_FLOOR = 1e-8
_DAMPING_CAP = 1.0


def _soft_threshold(u, n_weights, threshold):
    """Soft-threshold the first `n_weights` entries of `u` (the weights) in place.

    `threshold` is a scalar or an array of the size of `u`.
    """
    if np.any(threshold > 0):
        w = u[:n_weights]
        t = threshold[:n_weights] if np.ndim(threshold) else threshold
        np.copyto(w, np.sign(w) * np.maximum(np.abs(w) - t, 0.0))
    return u


def _l1_norm(u, n_weights):
    return float(np.sum(np.abs(u[:n_weights]), dtype=np.float64))


def _feature_violations(W, gW, l1):
    """Largest KKT violation of each feature over its class rows, shape (d,)."""
    at_zero = np.maximum(np.abs(gW) - l1, 0.0)
    off_zero = np.abs(gW + l1 * np.sign(W))
    return np.where(W == 0, at_zero, off_zero).max(axis=0)


def _working_set(W, gW, l1, size):
    """Features with a non-zero weight plus the largest violators, sorted.

    `size` features in all, or the support if larger; features that are zero
    and satisfy their optimality conditions never enter.
    """
    scores = _feature_violations(W, gW, l1)
    support = np.any(W != 0, axis=0)
    scores[support] = np.inf
    size = max(size, int(support.sum()))
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > size:
        top = np.argpartition(scores[candidates], -size)[-size:]
        candidates = candidates[top]
    return np.sort(candidates)


def _indices(layout, columns):
    """Flat indices of the weights of `columns` (all rows) and the intercepts."""
    k, d = layout.w_shape
    weights = (np.arange(k)[:, None] * d + columns[None, :]).ravel()
    intercepts = np.arange(k * d, layout.n_dof) if layout.fit_intercept else []
    return np.concatenate([weights, np.asarray(intercepts, dtype=np.intp)])


def _largest_eigenvalue(hessp, scale, n_power=4):
    """Rayleigh quotient of ``S H S`` after a few power iterations.

    ``S = diag(scale)``. A lower bound on its largest eigenvalue, which the
    inner solver's backtracking then raises where needed.
    """
    v = np.random.default_rng(0).standard_normal(len(scale)).astype(scale.dtype)
    estimate = 0.0
    for _ in range(n_power):
        v /= np.linalg.norm(v) or 1.0
        Hv = scale * hessp(scale * v)
        estimate = float(v @ Hv)
        v = Hv
    return max(estimate, np.finfo(np.float64).tiny)


def _solve_quadratic(g, hessp, diagonal, u0, n_weights, l1, tol, max_iter):
    """Minimise ``<g, u - u0> + (u - u0)' H (u - u0) / 2 + l1 ||u_W||_1`` by FISTA.

    Returns the minimiser ``u`` and ``H (u - u0)``.

    Proximal steps in the metric ``L D``, ``D`` the Hessian's diagonal (a
    Jacobi preconditioner: the coordinates of rare and frequent features get
    steps of their own scale). Each trial step costs one product
    ``H (u - u0)``; ``L`` starts from a power-iteration lower bound on the
    largest eigenvalue of ``D^-1/2 H D^-1/2`` and doubles whenever the
    curvature along the step exceeds ``L D`` (an exact test, for a
    quadratic). Adaptive restart keeps the model's value decreasing. Stops
    when the gradient mapping's largest entry is at most `tol`.
    """
    D = np.maximum(diagonal, np.finfo(u0.dtype).eps * max(float(diagonal.max()), 1.0))
    L = _largest_eigenvalue(hessp, 1.0 / np.sqrt(D))

    def q(u, Hd):
        d = u - u0
        return float(g @ d + 0.5 * (d @ Hd)) + l1 * _l1_norm(u, n_weights)

    u, Hd = u0.copy(), np.zeros_like(u0)
    u_prev, Hd_prev = u, Hd
    q_u, theta = q(u, Hd), 1.0
    for _ in range(max_iter):
        theta_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * theta * theta))
        beta = (theta - 1.0) / theta_next
        y, Hd_y = u + beta * (u - u_prev), Hd + beta * (Hd - Hd_prev)
        grad = g + Hd_y
        while True:
            metric = L * D
            u_new = _soft_threshold(y - grad / metric, n_weights, l1 / metric)
            Hd_new = hessp(u_new - u0)
            step = u_new - y
            curvature = float(step @ (Hd_new - Hd_y))
            if curvature <= float(step @ (metric * step)) * (1 + 1e-6):
                break
            L *= 2.0
        q_new = q(u_new, Hd_new)
        if q_new > q_u and beta > 0:  # momentum overshot: restart from u
            u_prev, Hd_prev, theta = u, Hd, 1.0
            continue
        u_prev, Hd_prev, u, Hd, q_u = u, Hd, u_new, Hd_new, q_new
        theta = theta_next
        if max_abs(metric * step) <= tol:
            break
    return u, Hd


def _optimality(x, g, prox, step):
    """Largest entry of the gradient mapping ``(x - prox(x - s g)) / s``."""
    return max_abs(x - prox(x - step * g, step)) / step


def _support_size(x, layout):
    """Count the features with a non-zero weight in some class row."""
    return int(np.count_nonzero(np.any(layout.unpack(x)[0] != 0, axis=0)))


def _line_search(value, nonsmooth, x, r, F, d, r_d, delta):
    """Backtrack from ``t = 1`` until ``F(x + t d) <= F + sigma t delta``.

    Returns ``(x_new, r_new, F_new, t)``, or None when no step decreases `F`.
    """
    slack = 8 * np.finfo(x.dtype).eps * abs(F)
    t = 1.0
    for _ in range(_MAX_BACKTRACK):
        x_new = x + t * d
        r_new = r + t * r_d
        F_new = value(x_new, r_new) + nonsmooth(x_new)
        if F_new <= F + _SIGMA * t * delta + slack:
            return x_new, r_new, F_new, t
        t *= 0.5
    return None


def _step_below_resolution(value_gradient, nonsmooth, prox, step, point, grad_norm):
    """Take the full step when its decrease is below the objective's rounding.

    Near the optimum the predicted decrease ``Delta`` can be smaller than the
    rounding error of ``F`` itself, so no line search can confirm it. The
    step is then judged by the optimality measure instead: ``x + d`` is
    returned, as ``(x_new, r_new, F_new, 1.0)``, if its measure is smaller
    than `grad_norm`, and None otherwise.
    """
    x, r, d, r_d = point
    x_new, r_new = x + d, r + r_d
    f_new, g_new = value_gradient(x_new, r_new)
    if _optimality(x_new, g_new, prox, step) >= grad_norm:
        return None
    return x_new, r_new, f_new + nonsmooth(x_new), 1.0


def _next_point(functions, point, delta, grad_norm):
    """Return the point the step along ``d`` reaches, or None if none is accepted.

    `functions` is ``(value, value_gradient, nonsmooth, prox, step)`` and
    `point` ``(x, r, F, d, r_d)``. The line search decides, or, when the
    predicted decrease `delta` is below the rounding error of ``F``, the
    optimality measure (:func:`_step_below_resolution`). Returns ``(x_new,
    r_new, F_new, t)``.
    """
    value, value_gradient, nonsmooth, prox, step = functions
    x, r, F, d, r_d = point
    found = None
    if delta < 0:
        found = _line_search(value, nonsmooth, x, r, F, d, r_d, delta)
    if found is None and -delta <= 8 * np.finfo(x.dtype).eps * abs(F):
        found = _step_below_resolution(
            value_gradient, nonsmooth, prox, step, (x, r, d, r_d), grad_norm
        )
    return found


def _newton_direction(x, g, model, layout, l1, inner_tol, ws_size, damping):
    """Return the working set's prox-Newton direction and its predicted decrease.

    The model's Hessian carries the damping ``damping * I``. Returns ``(d,
    r_d, delta, curvature, n_ws)``: the full direction (zero off the working
    set), its ``raw`` value, ``Delta`` of the Armijo condition, ``d' H d``
    for the undamped Hessian and the working set's size in features.
    """
    W, _ = layout.unpack(x)
    gW, _ = layout.unpack(g)
    columns = _working_set(W, gW, l1, ws_size)
    ws_layout, logits, hessp, diagonal = model(columns)
    idx = _indices(layout, columns)
    n_weights = ws_layout.w_shape[0] * ws_layout.w_shape[1]
    u0, g_ws = x[idx], g[idx]
    if damping > 0:
        hessp = partial(_damped, hessp, damping)
        diagonal = diagonal + damping
    u, Hd = _solve_quadratic(
        g_ws, hessp, diagonal, u0, n_weights, l1, inner_tol, _MAX_INNER
    )
    d_ws = u - u0
    delta = float(g_ws @ d_ws) + l1 * (_l1_norm(u, n_weights) - _l1_norm(u0, n_weights))
    curvature = float(d_ws @ Hd) - damping * float(d_ws @ d_ws)
    d = np.zeros_like(x)
    d[idx] = d_ws
    return d, logits(d_ws), delta, curvature, len(columns)


def _damped(hessp, damping, v):
    return hessp(v) + damping * v


def _next_damping(damping, t, ratio, floor):
    """Levenberg-Marquardt update of the damping after a step.

    `t` is the accepted step length and `ratio` the actual decrease of ``F``
    over the model's prediction. A full step the model predicted well (ratio
    at least 3/4) lowers the damping fourfold, down to zero below `floor`; a
    poor prediction (under 1/4) or a shortened step raises it.
    """
    if t < 1.0:
        return max(damping, floor) * min(4.0 / t, 1e4)
    if ratio < 0.25:
        return max(damping, floor) * 4.0
    if ratio >= 0.75:
        return 0.0 if damping / 4.0 < floor else damping / 4.0
    return damping


def minimize_prox_newton(
    value_gradient,
    value,
    raw,
    working_set_model,
    x0,
    *,
    layout,
    l1,
    prox,
    nonsmooth,
    step,
    tol=1e-4,
    max_iter=100,
    callback=None,
    exact_hessian=None,
):
    """Minimise ``f + l1 ||W||_1`` by proximal Newton steps on working sets.

    Parameters
    ----------
    value_gradient : callable
        ``value_gradient(x, r) -> (f(x), grad f(x))`` where ``r = raw(x)``.
    value : callable
        ``value(x, r) -> f(x)``.
    raw : callable
        ``raw(x, out=None) -> r``, linear in ``x``.
    working_set_model : callable
        ``working_set_model(x, r, columns) -> (layout, logits, hessp,
        diagonal)``: the packing of the coefficients restricted to the
        features `columns` and the intercepts, the ``raw`` map of such a
        restricted direction, the Hessian-vector product of ``f`` at ``x`` on
        them and that Hessian's diagonal.
    x0 : ndarray of shape (n_dof,)
        Starting point.
    layout : CoefficientLayout
        The packing of the full coefficients.
    l1 : float
        Strength of the L1 term (0 for a smooth problem).
    prox : callable
        ``prox(x, t)``, the proximal operator of ``t * l1 ||W||_1``.
    nonsmooth : callable
        ``nonsmooth(x) -> l1 ||W||_1``.
    step : float
        Reference step of the optimality measure (``1 / L`` for an upper
        bound ``L`` on the curvature of ``f``).
    tol : float, default=1e-4
        Stop when the gradient mapping's largest absolute entry is at most `tol`.
    max_iter : int, default=100
        Maximum number of outer (Newton) iterations.
    callback : callable, default=None
        Called as ``callback(n_iter, fun, grad_norm, step, x)`` after each
        iteration; returning True stops the solver.
    exact_hessian : callable, default=None
        For a model whose curvature is estimated (a row subsample):
        ``exact_hessian()`` switches it to the exact curvature and returns
        whether anything changed. Called once, when the line search finds no
        decrease along an estimated direction; the solver then retries.

    Returns
    -------
    result : OptimizeResult
    """
    x = np.array(x0, copy=True)
    r = raw(x)
    f, g = value_gradient(x, r)
    F = f + nonsmooth(x)
    history, n_iter, ws_size = [], 0, _P0
    status, message = "max_iter", "maximum number of iterations reached"
    grad_norm = _optimality(x, g, prox, step)
    damping, floor = 0.0, _DAMPING_FLOOR / step
    while grad_norm > tol and n_iter < max_iter:
        d, r_d, delta, curvature, n_ws = _newton_direction(
            x,
            g,
            partial(working_set_model, x, r),
            layout,
            l1,
            _FORCING * grad_norm,
            ws_size,
            damping,
        )
        found = _next_point(
            (value, value_gradient, nonsmooth, prox, step),
            (x, r, F, d, r_d),
            delta,
            grad_norm,
        )
        if found is None:
            if n_ws < layout.n_features and ws_size < layout.n_features:
                ws_size = min(layout.n_features, 2 * ws_size)  # widen and retry
                continue
            if exact_hessian is not None and exact_hessian():
                exact_hessian = None  # retry on the exact curvature
                continue
            if damping * step < _DAMPING_CAP:  # a shorter, more gradient-like step
                damping = max(damping, floor) * 1e3
                continue
            status = "no_progress"
            message = "the line search found no step that decreases the objective"
            break
        predicted = delta + 0.5 * curvature
        ratio = (found[2] - F) / predicted if predicted < 0 else 1.0
        damping = _next_damping(damping, found[3], ratio, floor)
        x, r, F, _ = found
        n_iter += 1
        if n_iter % _REFRESH_EVERY == 0:  # drop the rounding errors carried in r
            r = raw(x)
        f, g = value_gradient(x, r)
        F = f + nonsmooth(x)
        grad_norm = _optimality(x, g, prox, step)
        ws_size = min(
            layout.n_features, max(_P0, 2 * _support_size(x, layout), ws_size)
        )
        history.append(F)
        if callback is not None and callback(n_iter, F, grad_norm, 1.0, x):
            status, message = "callback", "stopped by callback"
            break
    if grad_norm <= tol and status != "callback":
        status, message = "converged", "converged"
    converged = bool(grad_norm <= tol)
    return OptimizeResult(
        x, F, n_iter, converged, grad_norm, history, message=message, status=status
    )
