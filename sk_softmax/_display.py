"""TrainingCurveDisplay: the loss per iteration or epoch of a fitted model.

matplotlib is an optional dependency (``pip install ".[plot]"``): this
module never imports it at import time, only when a figure is drawn.
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from sk_softmax._classifier import SoftmaxClassifier
from sk_softmax._solvers import SOLVERS

__all__ = ["TrainingCurveDisplay"]

_UNITS = ("iteration", "epoch")


def _check_matplotlib_support(caller_name):
    """Raise an ImportError that says how to install matplotlib if it is missing.

    Parameters
    ----------
    caller_name : str
        The name of the caller that needs matplotlib, for the message.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib, an optional dependency of "
            'sk_softmax: install its "plot" extra with `pip install ".[plot]"` '
            "in a checkout of sk_softmax, as its README does, or matplotlib "
            "itself with `pip install matplotlib`."
        ) from exc


def _check_unit(unit):
    """Raise a ValueError unless `unit` is ``'iteration'`` or ``'epoch'``."""
    if unit not in _UNITS:
        raise ValueError(f"unit must be 'iteration' or 'epoch'; got {unit!r}.")


def _final_estimator(estimator):
    """Return the fitted SoftmaxClassifier in `estimator` (itself or a Pipeline's).

    Raises a ValueError for anything else and sklearn's NotFittedError when the
    classifier is not fitted.
    """
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if not isinstance(final, SoftmaxClassifier):
        where = " as the last step of the Pipeline" if final is not estimator else ""
        raise ValueError(
            "TrainingCurveDisplay.from_estimator needs a fitted SoftmaxClassifier "
            f"or a Pipeline that ends in one; got {type(final).__name__}{where}."
        )
    check_is_fitted(final, "loss_curve_")
    return final


def _stochastic(solver):
    """Whether `solver` (a name, 'auto' or None) is a stochastic solver."""
    return solver in SOLVERS and SOLVERS[solver].stochastic


def _trained_unit(classifier):
    """Return the unit of `classifier`'s curves: ``'epoch'`` or ``'iteration'``.

    ``'epoch'`` when a stochastic solver trained it last, which the stochastic
    state records; without that record the parameters decide: `solver`
    ``'sgd'`` or ``'adam'``, or ``'auto'`` with `early_stopping` (which runs
    ``'sgd'``), or a validation curve.
    """
    state = getattr(classifier, "_stochastic_state", None)
    if state is not None and hasattr(state, "solver"):
        return "epoch" if _stochastic(state.solver) else "iteration"
    stochastic = (
        _stochastic(classifier.solver)
        or (classifier.solver == "auto" and classifier.early_stopping)
        or getattr(classifier, "validation_loss_curve_", None) is not None
    )
    return "epoch" if stochastic else "iteration"


class TrainingCurveDisplay:
    """Training curve: the loss per iteration or epoch of a fitted model.

    Draws the objective recorded by :class:`SoftmaxClassifier` after each
    solver iteration (``loss_curve_``) and, when the model was fitted with
    early stopping, the validation loss after each epoch
    (``validation_loss_curve_``).

    Create it with :meth:`from_estimator`, or from the curves themselves; then
    :meth:`plot` draws it (again, on other axes, or with other options). All
    parameters are stored as attributes. matplotlib is needed only to draw:
    ``pip install ".[plot]"`` in a checkout of sk_softmax.

    Parameters
    ----------
    loss_curve : array-like of shape (n_iter,)
        Training loss after each iteration (the objective) or epoch (the mean
        of its mini-batch objectives): the ``loss_curve_`` of a fitted
        :class:`SoftmaxClassifier`.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss after each epoch, the ``validation_loss_curve_`` of a
        model fitted with ``early_stopping=True``; None draws no validation
        curve.
    unit : {'iteration', 'epoch'}, default='iteration'
        What one point of the curves is: an iteration of a full-batch solver
        or an epoch (a pass over the data) of a stochastic one. It labels the
        x-axis.
    estimator_name : str, default=None
        Name of the model, shown in the legend. None shows no name.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the training curve.
    figure_ : matplotlib Figure
        Figure containing the training curve.
    lines_ : list of matplotlib Line2D
        The lines drawn: the training loss, then the validation loss when there
        is one.

    See Also
    --------
    SoftmaxClassifier : The estimator whose curves this displays.
    sklearn.model_selection.LearningCurveDisplay : Scores against the number of
        training samples.

    Notes
    -----
    :meth:`from_estimator` chooses the unit from how the model was trained:
    ``'epoch'`` when a stochastic solver trained it last, which is when
    `solver` is ``'sgd'`` or ``'adam'``, when `solver` is ``'auto'`` with
    ``early_stopping=True`` (``'auto'`` then runs ``'sgd'``), and after
    ``partial_fit`` (one epoch per call); ``'iteration'`` otherwise. A model
    that ``partial_fit`` continued after a full-batch ``fit`` records the
    iterations of that fit, then one epoch per call, and is shown in epochs.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_softmax import SoftmaxClassifier
    >>> from sk_softmax import TrainingCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(), SoftmaxClassifier(early_stopping=True, random_state=0)
    ... ).fit(X, y)
    >>> display = TrainingCurveDisplay.from_estimator(model)  # doctest: +SKIP
    >>> display.unit  # doctest: +SKIP
    'epoch'
    >>> import matplotlib.pyplot as plt  # doctest: +SKIP
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self,
        loss_curve,
        *,
        validation_loss_curve=None,
        unit="iteration",
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.unit = unit
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        log_scale=False,
        line_kw=None,
        validation_line_kw=None,
    ):
        """Draw the training curve, and the validation curve when there is one.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.
        name : str, default=None
            Name of the model in the legend; None uses `estimator_name`.
        log_scale : bool, default=False
            Whether the y-axis (the loss) is on a logarithmic scale.
        line_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the training curve.
        validation_line_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the validation curve.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, with `ax_`, `figure_` and `lines_` set.
        """
        _check_matplotlib_support(f"{type(self).__name__}.plot")
        _check_unit(self.unit)
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        prefix = f"{name}: " if name else ""

        curves = [("training loss", self.loss_curve, line_kw)]
        if self.validation_loss_curve is not None:
            curves.append(
                ("validation loss", self.validation_loss_curve, validation_line_kw)
            )
        self.lines_ = []
        for label, curve, kwargs in curves:
            curve = np.asarray(curve, dtype=float).ravel()
            steps = np.arange(1, curve.size + 1)
            kwargs = {"label": prefix + label, **(kwargs or {})}
            (line,) = ax.plot(steps, curve, **kwargs)
            self.lines_.append(line)

        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel(self.unit.capitalize())
        ax.set_ylabel("Loss")
        ax.legend(loc="upper right")

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        unit=None,
        name=None,
        ax=None,
        log_scale=False,
        line_kw=None,
        validation_line_kw=None,
    ):
        """Draw the training curves of a fitted SoftmaxClassifier.

        Parameters
        ----------
        estimator : SoftmaxClassifier or Pipeline
            A fitted :class:`SoftmaxClassifier`, or a fitted Pipeline whose
            last step is one.
        unit : {'iteration', 'epoch'}, default=None
            What one point of the curves is; None infers it from how the model
            was trained (see Notes of :class:`TrainingCurveDisplay`).
        name : str, default=None
            Name of the model in the legend; None uses the class name of the
            classifier.
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.
        log_scale : bool, default=False
            Whether the y-axis (the loss) is on a logarithmic scale.
        line_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the training curve.
        validation_line_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the validation curve.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, drawn.

        Raises
        ------
        ValueError
            If `estimator` is neither a SoftmaxClassifier nor a Pipeline ending
            in one, or `unit` is neither ``'iteration'`` nor ``'epoch'``.
        sklearn.exceptions.NotFittedError
            If the classifier is not fitted.
        """
        _check_matplotlib_support(f"{cls.__name__}.from_estimator")
        classifier = _final_estimator(estimator)
        if unit is None:
            unit = _trained_unit(classifier)
        _check_unit(unit)
        validation = getattr(classifier, "validation_loss_curve_", None)
        display = cls(
            list(classifier.loss_curve_),
            validation_loss_curve=None if validation is None else list(validation),
            unit=unit,
            estimator_name=type(classifier).__name__ if name is None else name,
        )
        return display.plot(
            ax=ax,
            log_scale=log_scale,
            line_kw=line_kw,
            validation_line_kw=validation_line_kw,
        )
