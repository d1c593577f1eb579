"""RegularizationPathDisplay: coefficient paths and the cross-validation curve.

matplotlib is an optional dependency (``pip install "sk_softmax[plot]"``): this
module imports it only when a figure is drawn.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sk_softmax._cv_results import fold_statistics, select
from sk_softmax._display import _check_matplotlib_support
from sk_softmax._path import softmax_path

_KINDS = ("both", "coefficients", "cv")
_COEFFICIENTS = ("norm", "all")


def _check_choice(name, value, options):
    """Raise a ValueError unless `value` is one of `options`."""
    if value not in options:
        raise ValueError(f"{name} must be one of {options}; got {value!r}.")


class RegularizationPathDisplay:
    """Regularisation path: coefficients and cross-validated score against alpha.

    Two panels, each optional: the coefficients along the path (one line per
    feature, the norm of its coefficients across the classes, or one line per
    feature and class), and the mean cross-validated score with its standard
    error as error bars, the best `alpha` and the one-standard-error choice
    marked. The x-axis is `alpha` on a log scale, decreasing from left to right
    as the path runs.

    Create it with :meth:`from_estimator` (a fitted
    :class:`SoftmaxClassifierCV`) or :meth:`from_path` (a
    :func:`softmax_path` on data), or from the arrays themselves; then
    :meth:`plot` draws it. matplotlib is needed only to draw:
    ``pip install "sk_softmax[plot]"``.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        The penalties, largest first.
    coefs : array-like of shape (n_classes_or_1, n_features, n_alphas), \
            default=None
        Coefficients along the path, as :func:`softmax_path` returns them;
        None draws no coefficient panel.
    mean_scores : array-like of shape (n_alphas,), default=None
        Mean cross-validated score at each penalty; None draws no
        cross-validation panel.
    score_errors : array-like of shape (n_alphas,), default=None
        Standard error of each mean score, drawn as error bars.
    alpha_best : float, default=None
        The penalty of the best mean score, marked when given.
    alpha_one_se : float, default=None
        The one-standard-error choice, marked when given.
    feature_names : array-like of shape (n_features,), default=None
        Names of the features, for the legend; None uses ``x0, x1, ...``.
    class_names : array-like of shape (n_classes_or_1,), default=None
        Names of the coefficient rows, for ``coefficients='all'``.
    score_name : str, default='score'
        Label of the score axis.

    Attributes
    ----------
    ax_coef_ : matplotlib Axes or None
        Axes of the coefficient paths.
    ax_cv_ : matplotlib Axes or None
        Axes of the cross-validation curve.
    figure_ : matplotlib Figure
        The figure.
    lines_ : list of matplotlib Line2D
        The coefficient lines.
    errorbar_ : matplotlib ErrorbarContainer or None
        The cross-validation curve.
    choice_lines_ : dict of matplotlib Line2D
        The vertical lines at the choices, keys ``'best'`` and ``'one_se'``.

    See Also
    --------
    SoftmaxClassifierCV : Chooses `alpha` by cross-validation along paths.
    softmax_path : The path itself.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_softmax import RegularizationPathDisplay, SoftmaxClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = SoftmaxClassifierCV(alphas=20).fit(X, y)
    >>> display = RegularizationPathDisplay.from_estimator(clf)  # doctest: +SKIP
    >>> import matplotlib.pyplot as plt  # doctest: +SKIP
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self,
        alphas,
        *,
        coefs=None,
        mean_scores=None,
        score_errors=None,
        alpha_best=None,
        alpha_one_se=None,
        feature_names=None,
        class_names=None,
        score_name="score",
    ):
        self.alphas = alphas
        self.coefs = coefs
        self.mean_scores = mean_scores
        self.score_errors = score_errors
        self.alpha_best = alpha_best
        self.alpha_one_se = alpha_one_se
        self.feature_names = feature_names
        self.class_names = class_names
        self.score_name = score_name

    def plot(self, ax=None, *, kind="both", coefficients="norm", max_legend=12):
        """Draw the coefficient paths and/or the cross-validation curve.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of two Axes, default=None
            Where to draw: one Axes for one panel, two (coefficients, then
            cross-validation) for ``kind='both'``. None creates a figure.
        kind : {'both', 'coefficients', 'cv'}, default='both'
            Which panels to draw; a panel without data is left out.
        coefficients : {'norm', 'all'}, default='norm'
            One line per feature, the Euclidean norm of its coefficients
            across the classes, or one line per feature and class.
        max_legend : int, default=12
            Largest number of coefficient lines that get a legend.

        Returns
        -------
        display : RegularizationPathDisplay
            The display, with `ax_coef_`, `ax_cv_`, `figure_` and the artists
            set.
        """
        _check_matplotlib_support(f"{type(self).__name__}.plot")
        _check_choice("kind", kind, _KINDS)
        _check_choice("coefficients", coefficients, _COEFFICIENTS)
        panels = [
            name
            for name, data in (("coefficients", self.coefs), ("cv", self.mean_scores))
            if kind in ("both", name) and data is not None
        ]
        if not panels:
            raise ValueError(
                f"Nothing to draw for kind={kind!r}: the display holds no "
                f"{'coefficients' if kind == 'coefficients' else 'scores'}."
            )
        axes = self._axes(ax, len(panels))
        self.ax_coef_ = self.ax_cv_ = self.errorbar_ = None
        self.lines_, self.choice_lines_ = [], {}
        for name, axis in zip(panels, axes, strict=True):
            if name == "coefficients":
                self._plot_coefficients(axis, coefficients, max_legend)
            else:
                self._plot_cv(axis)
        self.figure_ = axes[0].figure
        return self

    @staticmethod
    def _axes(ax, n_panels):
        """Return the `n_panels` axes to draw on: `ax` checked, or new ones."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, axes = plt.subplots(
                1, n_panels, figsize=(5 * n_panels, 4), layout="constrained"
            )
            return list(np.atleast_1d(axes))
        axes = list(np.atleast_1d(np.asarray(ax, dtype=object)).ravel())
        if len(axes) != n_panels:
            raise ValueError(
                f"ax must hold {n_panels} Axes for the panels to draw; got {len(axes)}."
            )
        return axes

    def _plot_coefficients(self, ax, coefficients, max_legend):
        alphas = np.asarray(self.alphas, dtype=float)
        coefs = np.asarray(self.coefs, dtype=float)
        n_rows, n_features, _ = coefs.shape
        names = self.feature_names
        names = [f"x{j}" for j in range(n_features)] if names is None else names
        if coefficients == "norm":
            curves = np.sqrt((coefs**2).sum(axis=0))
            labels = [str(name) for name in names]
            ylabel = "norm of the coefficients across classes"
        else:
            curves = coefs.reshape(n_rows * n_features, -1)
            rows = self.class_names
            rows = range(n_rows) if rows is None else rows
            labels = [f"{name} (class {row})" for row in rows for name in names]
            ylabel = "coefficient"
        for curve, label in zip(curves, labels, strict=True):
            (line,) = ax.plot(alphas, curve, label=label)
            self.lines_.append(line)
        self._mark_choices(ax, with_labels=False)
        ax.set_xscale("log")
        if not ax.xaxis_inverted():
            ax.invert_xaxis()
        ax.set_xlabel("alpha")
        ax.set_ylabel(ylabel)
        ax.set_title("Coefficient paths")
        if len(self.lines_) <= max_legend:
            ax.legend(fontsize="small")
        self.ax_coef_ = ax

    def _plot_cv(self, ax):
        alphas = np.asarray(self.alphas, dtype=float)
        errors = None
        if self.score_errors is not None:
            errors = np.asarray(self.score_errors, dtype=float)
        self.errorbar_ = ax.errorbar(
            alphas,
            np.asarray(self.mean_scores, dtype=float),
            yerr=errors,
            marker=".",
            capsize=2,
            label="mean ± standard error",
        )
        self._mark_choices(ax, with_labels=True)
        ax.set_xscale("log")
        if not ax.xaxis_inverted():
            ax.invert_xaxis()
        ax.set_xlabel("alpha")
        ax.set_ylabel(self.score_name)
        ax.set_title("Cross-validation")
        ax.legend(fontsize="small")
        self.ax_cv_ = ax

    def _mark_choices(self, ax, with_labels):
        """Vertical lines at the best and the one-standard-error `alpha`."""
        choices = (
            ("best", self.alpha_best, "k", ":"),
            ("one_se", self.alpha_one_se, "tab:red", "--"),
        )
        for key, alpha, color, style in choices:
            if alpha is None:
                continue
            text = "best" if key == "best" else "one standard error"
            label = f"{text}: alpha={alpha:.3g}" if with_labels else None
            self.choice_lines_[key] = ax.axvline(
                alpha, color=color, linestyle=style, label=label
            )

    @classmethod
    def from_estimator(cls, estimator, *, kind="both", coefficients="norm", ax=None):
        """Draw the paths and the curve of a fitted SoftmaxClassifierCV.

        The coefficient panel shows the splits' paths averaged over the
        splits (``coef_path_``) at the chosen `l1_ratio_`; the curve is the
        mean score of each `alpha` at that l1_ratio, with its standard error.
        Both choices are marked, whichever `selection` the estimator used.

        Parameters
        ----------
        estimator : SoftmaxClassifierCV
            A fitted estimator.
        kind : {'both', 'coefficients', 'cv'}, default='both'
            Which panels to draw.
        coefficients : {'norm', 'all'}, default='norm'
            Per-feature norms across classes, or every coefficient.
        ax : matplotlib Axes or sequence of two Axes, default=None
            Where to draw (see :meth:`plot`).

        Returns
        -------
        display : RegularizationPathDisplay
            The display, drawn.
        """
        _check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator, "cv_results_")
        scores = np.stack(
            [
                estimator.cv_results_[f"split{k}_test_score"]
                for k in range(estimator.coef_path_.shape[1])
            ],
            axis=1,
        )
        n_l1, n_alphas = estimator.alphas_.shape
        scores = scores.reshape(n_l1, n_alphas, -1).transpose(0, 2, 1)
        mean, _, sem = fold_statistics(scores)
        i_l1 = int(np.flatnonzero(estimator.l1_ratios_ == estimator.l1_ratio_)[0])
        chosen = {
            rule: select(mean, sem, estimator.alphas_, rule)
            for rule in ("best", "one_se")
        }
        alphas = estimator.alphas_[i_l1]
        classes = estimator.classes_
        display = cls(
            alphas,
            coefs=estimator.coef_path_[i_l1].mean(axis=0),
            mean_scores=mean[i_l1],
            score_errors=sem[i_l1],
            alpha_best=float(estimator.alphas_[chosen["best"]]),
            alpha_one_se=float(estimator.alphas_[chosen["one_se"]]),
            feature_names=getattr(estimator, "feature_names_in_", None),
            class_names=classes[1:] if len(classes) == 2 else classes,
            score_name=_score_name(estimator.scoring),
        )
        return display.plot(ax=ax, kind=kind, coefficients=coefficients)

    @classmethod
    def from_path(
        cls, X, y, *, coefficients="norm", ax=None, feature_names=None, **params
    ):
        """Compute :func:`softmax_path` on `X`, `y` and draw its coefficients.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        coefficients : {'norm', 'all'}, default='norm'
            Per-feature norms across classes, or every coefficient.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        feature_names : array-like of shape (n_features,), default=None
            Names of the features; None uses the columns of a DataFrame `X`,
            else ``x0, x1, ...``.
        **params : dict
            Keyword arguments of :func:`softmax_path` (``alphas``,
            ``l1_ratio``, ``solver``, ...).

        Returns
        -------
        display : RegularizationPathDisplay
            The display, drawn.
        """
        _check_matplotlib_support(f"{cls.__name__}.from_path")
        if feature_names is None and hasattr(X, "columns"):
            feature_names = [str(name) for name in X.columns]
        alphas, coefs, _, _ = softmax_path(X, y, **params)
        classes = np.unique(np.asarray(y))
        display = cls(
            alphas,
            coefs=coefs,
            feature_names=feature_names,
            class_names=classes[1:] if len(classes) == 2 else classes,
        )
        return display.plot(ax=ax, kind="coefficients", coefficients=coefficients)


def _score_name(scoring):
    """Axis label of a `scoring` parameter."""
    if scoring is None:
        return "neg_log_loss (higher is better)"
    return f"{scoring if isinstance(scoring, str) else 'score'} (higher is better)"
