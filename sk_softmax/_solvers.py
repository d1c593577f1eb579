"""The solver registry: every solver's name, what it accepts, how to run it.

A full-batch solver's ``run(objective, x0, settings, callback)`` returns an
:class:`~sk_softmax._optim.OptimizeResult`; it sees the objective's callables
(``value``, ``value_gradient``, ``gradient_hessian_product``, ``raw``,
``prox``) and plain :class:`FullBatchSettings`, never the estimator. The
stochastic solvers run through :mod:`sk_softmax._stochastic_fit`. Which
solver ``'auto'`` picks is :func:`resolve_solver`'s rule. A new solver is one
module in :mod:`sk_softmax._optim` plus one entry here (see
``docs/developer/architecture.rst``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sk_softmax._objective._subsample import (
    hessian_sample_size,
    use_hessian_subsample,
)
from sk_softmax._optim import (
    minimize_gd,
    minimize_lbfgs,
    minimize_newton_cg,
    minimize_prox_newton,
)


@dataclass(frozen=True)
class FullBatchSettings:
    """Stopping rule and randomness of a full-batch solver.

    Attributes
    ----------
    tol : float
        Stop when the largest absolute entry of the (proximal) gradient is at
        most `tol`.
    max_iter : int
        Maximum number of iterations.
    random_state : int, RandomState instance or None
        Seed of newton-cg's Hessian subsample.
    """

    tol: float
    max_iter: int
    random_state: object = None


def _run_lbfgs(objective, x0, settings, callback):
    return minimize_lbfgs(
        objective.value_gradient,
        x0,
        tol=settings.tol,
        max_iter=settings.max_iter,
        callback=callback,
    )


def _subsample_hessian(objective, settings):
    """Draw the Hessian's row subsample when the samples far outnumber the dof.

    Returns whether it did.
    """
    if not use_hessian_subsample(objective.n_samples, objective.n_dof):
        return False
    n_rows, min_per_class = hessian_sample_size(objective.layout)
    objective.data.sample_hessian_rows(n_rows, min_per_class, settings.random_state)
    return True


def _exact_hessian(objective):
    """Drop the Hessian's row subsample; return True (something changed)."""
    objective.data.subsample_hessian(None)
    return True


def _run_newton_cg(objective, x0, settings, callback):
    _subsample_hessian(objective, settings)
    return minimize_newton_cg(
        objective.gradient_hessian_product,
        objective.value,
        objective.raw,
        x0,
        tol=settings.tol,
        max_iter=settings.max_iter,
        callback=callback,
    )


def _run_gd(objective, x0, settings, callback):
    has_l1 = objective.penalty.l1 > 0
    return minimize_gd(
        objective.value_gradient,
        objective.value,
        objective.raw,
        x0,
        prox=objective.prox if has_l1 else None,
        nonsmooth=objective.nonsmooth_value if has_l1 else None,
        step=objective.initial_step(),
        tol=settings.tol,
        max_iter=settings.max_iter,
        callback=callback,
    )


def _run_prox_newton(objective, x0, settings, callback):
    subsampled = _subsample_hessian(objective, settings)
    return minimize_prox_newton(
        objective.value_gradient,
        objective.value,
        objective.raw,
        objective.working_set_model,
        x0,
        layout=objective.layout,
        l1=objective.penalty.l1,
        prox=objective.prox,
        nonsmooth=objective.nonsmooth_value,
        step=objective.initial_step(),
        tol=settings.tol,
        max_iter=settings.max_iter,
        callback=callback,
        exact_hessian=partial(_exact_hessian, objective) if subsampled else None,
    )


@dataclass(frozen=True)
class Solver:
    """A registry entry.

    Attributes
    ----------
    name : str
        The estimator's ``solver`` value.
    run : callable or None
        ``run(objective, x0, settings, callback)`` for a full-batch solver;
        None for a stochastic one.
    accepts_l1 : bool
        Whether it handles ``l1_ratio > 0``.
    stochastic : bool
        Whether it takes mini-batch steps (needs the data in memory; runs
        ``partial_fit`` and early stopping).
    in_memory : bool
        Whether it needs the data in memory as numpy or scipy.sparse (it
        restricts ``X`` to subsets of its columns).
    """

    name: str
    run: Callable = None
    accepts_l1: bool = True
    stochastic: bool = False
    in_memory: bool = False

    @property
    def partial_fit(self):
        """Whether ``partial_fit`` runs this solver."""
        return self.stochastic


SOLVERS = {
    solver.name: solver
    for solver in (
        Solver("gd", _run_gd),
        Solver("lbfgs", _run_lbfgs, accepts_l1=False),
        Solver("newton-cg", _run_newton_cg, accepts_l1=False),
        Solver("prox-newton", _run_prox_newton, in_memory=True),
        Solver("sgd", stochastic=True),
        Solver("adam", stochastic=True),
    )
}
# The stochastic solver 'auto' uses for partial_fit and early stopping.
AUTO_STOCHASTIC = "sgd"


def stochastic_solver(name):
    """Return the solver ``partial_fit`` runs for `solver=name`, or None."""
    if name == "auto":
        return SOLVERS[AUTO_STOCHASTIC]
    return SOLVERS[name] if SOLVERS[name].stochastic else None


def check_solver(name, l1_ratio, alpha, early_stopping, kind):
    """Refuse the combinations `solver=name` cannot honour; see the messages.

    Parameters
    ----------
    name : str
        The estimator's `solver`.
    l1_ratio, alpha : float
        The penalty.
    early_stopping : bool
        Whether early stopping is asked for.
    kind : str
        The input's kind (:func:`~sk_softmax._backends.input_kind`).
    """
    solver = SOLVERS.get(name)
    if solver is not None and not solver.accepts_l1 and l1_ratio > 0 and alpha > 0:
        l1_names = [s.name for s in SOLVERS.values() if s.accepts_l1]
        raise ValueError(
            f"solver={name!r} supports only the L2 penalty; got "
            f"l1_ratio={l1_ratio}. Use solver={_either(l1_names)} for L1 and "
            "elastic-net penalties, or set l1_ratio=0."
        )
    if early_stopping and solver is not None and not solver.stochastic:
        raise ValueError(
            f"early_stopping needs a stochastic solver; solver={name!r} "
            "is full-batch. Use solver='sgd', 'adam' or 'auto'."
        )
    if kind != "numpy" and (early_stopping or (solver and solver.stochastic)):
        _refuse_stochastic(name, early_stopping, kind)
    if kind != "numpy" and solver is not None and solver.in_memory:
        _refuse_in_memory(name, kind)


def _either(names):
    """Return ``'a', 'b' or 'c'`` of quoted names."""
    quoted = [repr(n) for n in names]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _refuse_stochastic(name, early_stopping, kind):
    """Raise the error for a stochastic solver on input not in memory."""
    full_batch = [
        "auto",
        *(s.name for s in SOLVERS.values() if s.run and not s.in_memory),
    ]
    with_es = " with early_stopping" if early_stopping else ""
    if kind == "dask":
        raise ValueError(
            "fit on dask collections runs the full-batch solvers ("
            f"{', '.join(map(repr, full_batch))}); got solver={name!r}{with_es}. "
            "For 'sgd' or 'adam', call partial_fit on the blocks in turn."
        )
    raise ValueError(
        "Array API inputs run the full-batch solvers ("
        f"{', '.join(map(repr, full_batch))}); got solver={name!r}{with_es}."
    )


def _refuse_in_memory(name, kind):
    """Raise the error for a solver that needs numpy or scipy.sparse input."""
    others = ["auto", *(s.name for s in SOLVERS.values() if s.run and not s.in_memory)]
    what = "dask collections" if kind == "dask" else "Array API inputs"
    raise ValueError(
        f"solver={name!r} needs the data in memory as a numpy array or a "
        f"scipy.sparse matrix; {what} run the solvers "
        f"{', '.join(map(repr, others))}."
    )


def resolve_solver(name, problem, l1, early_stopping):
    """Return the registry entry to run: `name`'s, or the one ``'auto'`` picks.

    ``'auto'`` is ``'sgd'`` with early stopping. When the penalty has an L1
    part, it is ``'prox-newton'`` for data in memory (numpy or scipy.sparse),
    ``'gd'`` for dask and Array API inputs. Without one, it is
    ``'newton-cg'`` for sparse data or when the samples are many enough for
    its subsampled Hessian, ``'lbfgs'`` otherwise (see
    ``benchmarks/RESULTS.md``).
    """
    if name != "auto":
        return SOLVERS[name]
    if early_stopping:
        return SOLVERS[AUTO_STOCHASTIC]
    if l1 > 0:
        return SOLVERS["prox-newton" if problem.kind == "numpy" else "gd"]
    tall = use_hessian_subsample(problem.n_samples, problem.objective.n_dof)
    if problem.sparse or tall:
        return SOLVERS["newton-cg"]
    return SOLVERS["lbfgs"]
