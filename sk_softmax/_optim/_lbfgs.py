"""L-BFGS-B (scipy) on the fused objective and gradient.

scipy's L-BFGS-B works in float64; the objective is evaluated in the data's
dtype and its gradient handed back in float64. It stops when the gradient's
largest absolute entry is at most ``tol`` (scipy's ``gtol``), the only case
it reports as converged, or when an iteration no longer reduces the objective
by a relative ``64 * eps``.
scipy's separate BLAS pool is held to one thread meanwhile (see ``_threads``).
"""

import numpy as np
from scipy.optimize import minimize

from sk_softmax._optim._result import OptimizeResult, max_abs
from sk_softmax._optim._threads import single_threaded_scipy_blas


def minimize_lbfgs(
    value_gradient, x0, *, tol=1e-4, max_iter=100, memory=10, callback=None
):
    """Minimise a smooth ``f`` by L-BFGS-B.

    Parameters
    ----------
    value_gradient : callable
        ``value_gradient(x) -> (f(x), grad f(x))``.
    x0 : ndarray of shape (n_dof,)
        Starting point; its dtype is the dtype ``value_gradient`` receives.
    tol : float, default=1e-4
        Stop when the gradient's largest absolute entry is at most `tol`.
    max_iter : int, default=100
        Maximum number of iterations.
    memory : int, default=10
        Number of correction pairs kept (scipy's ``maxcor``).
    callback : callable, default=None
        Called as ``callback(n_iter, fun, grad_norm, step, x)`` after each
        iteration; returning True stops the solver.

    Returns
    -------
    result : OptimizeResult
    """
    dtype = np.asarray(x0).dtype
    # The last gradient, for the callback. Not an attribute of ``fun``: a
    # function that refers to itself is a reference cycle, which would keep
    # the objective (and on dask the workers' chunk losses) alive after the
    # fit until the garbage collector's next cyclic pass.
    last = {}

    def fun(x):
        f, g = value_gradient(x.astype(dtype, copy=False))
        last["grad"] = g
        return f, g.astype(np.float64)

    history = []

    def on_iteration(intermediate_result):
        history.append(float(intermediate_result.fun))
        if callback is not None and callback(
            len(history),
            history[-1],
            max_abs(last["grad"]),
            np.nan,
            intermediate_result.x.astype(dtype),
        ):
            raise StopIteration  # scipy ends the run and returns its result

    options = {
        "maxiter": max_iter,
        "gtol": tol,
        "ftol": 0.0,
        "maxcor": memory,
        "maxls": 50,
    }
    with single_threaded_scipy_blas():
        res = minimize(
            fun,
            np.asarray(x0, dtype=np.float64),
            method="L-BFGS-B",
            jac=True,
            options=options,
            callback=on_iteration,
        )
    grad_norm = max_abs(res.jac)
    # scipy's status 0 also covers "the objective stopped decreasing" (ftol);
    # only a gradient within tol counts as converged here.
    converged = grad_norm <= tol
    if converged:
        message, status = "converged", "converged"
    elif res.status == 99:
        message, status = "stopped by callback", "callback"
    elif res.status == 0:
        message = "the objective stopped decreasing before the gradient met tol"
        status = "no_progress"
    else:
        message = str(res.message).lower()
        status = "max_iter" if res.status == 1 else "no_progress"
    return OptimizeResult(
        x=res.x.astype(dtype),
        fun=float(res.fun),
        n_iter=int(res.nit),
        converged=converged,
        grad_norm=grad_norm,
        history=history,
        message=message,
        status=status,
    )
