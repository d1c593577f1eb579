"""Progress reporting: scikit-learn's callbacks and the `verbose` lines.

Every solver calls ``callback(n_iter, fun, measure, step, x)`` after each
iteration (full-batch) or epoch (stochastic). :class:`FitReporter` turns those
calls into scikit-learn's callback hooks (``sklearn.callback``, scikit-learn
1.9+): the fit is a task with one sub-task per iteration or epoch, and each
sub-task's end hands the callbacks the model as it stands then, so that
``ProgressBar`` and ``ScoringMonitor`` work for every solver, alone or inside
``Pipeline`` and ``GridSearchCV``. A callback that asks to stop ends the solver.
With an older scikit-learn the estimator has no ``set_callbacks`` and only
`verbose` reports.
"""

import numpy as np

from sk_softmax.utils._sklearn_compat import CallbackSupportMixin

__all__ = ["CallbackSupportMixin", "FitReporter"]


class FitReporter:
    """Report one ``fit`` or ``partial_fit`` call to the estimator's callbacks.

    Parameters
    ----------
    estimator : SoftmaxClassifier
        The estimator being trained.
    max_subtasks : int
        Upper bound on the number of iterations or epochs.
    """

    def __init__(self, estimator, max_subtasks):
        self.estimator = estimator
        self.context = estimator._init_callback_context(
            task_name="fit", max_subtasks=max_subtasks
        )
        self._data = {}

    def begin(self, X, y, sample_weight=None):
        """Start the task, on validated data ``X`` and original labels ``y``."""
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._data = {"X": X, "y": y, "metadata": metadata}
        self.context.call_on_fit_task_begin(estimator=self.estimator, **self._data)

    def end(self):
        """End the task; the estimator holds its fitted attributes by now."""
        self.context.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes={}, **self._data
        )

    def solver_callback(self, solver, stochastic, attributes):
        """Return the per-iteration callback to hand `solver`.

        Parameters
        ----------
        solver : str
            The solver's name, for `verbose`.
        stochastic : bool
            Whether the steps are epochs.
        attributes : callable
            ``attributes(x)`` returns the fitted attributes (``classes_``,
            ``coef_``, ``intercept_``) of the packed coefficients ``x``.

        Returns
        -------
        callback : callable
            ``callback(n_iter, fun, measure, step, x) -> bool``, True to stop.
        """
        verbose = self.estimator.verbose
        unit = "epoch" if stochastic else "iteration"

        def callback(n_iter, fun, measure, step, x):
            if verbose:
                print(_progress_line(solver, unit, n_iter, fun, measure, step))
            task = self.context.subcontext(task_name=unit)
            task.call_on_fit_task_begin(estimator=self.estimator, **self._data)
            return bool(
                task.call_on_fit_task_end(
                    estimator=self.estimator,
                    reconstruction_attributes=lambda: attributes(x.copy()),
                    **self._data,
                )
            )

        return callback


def _progress_line(solver, unit, n_iter, fun, measure, step):
    """Return the `verbose` line of one iteration or epoch."""
    if unit == "epoch":
        validation = "" if np.isnan(measure) else f" validation_loss={measure:.8g}"
        return (
            f"[{solver}] epoch {n_iter}: loss={fun:.8g}{validation} "
            f"learning_rate={step:.3g}"
        )
    return (
        f"[{solver}] iteration {n_iter}: objective={fun:.8g} "
        f"gradient={measure:.3g} step={step:.3g}"
    )
