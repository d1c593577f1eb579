"""The coefficient table's parameterisation of a fitted softmax model.

A fitted :class:`~sk_softmax.SoftmaxClassifier` holds ``coef_`` and
``intercept_``: ``K`` rows for ``K >= 3`` classes (symmetric), one row for two
classes (``classes_[1]`` against ``classes_[0]``, whose logit is fixed at 0).
:func:`parameterisation` puts every class's coefficients in one ``(K, n_coef)``
array ``theta`` (features, then the intercept) and decides which rows the
information matrix is computed for and which the table shows:

- contrasts ``theta[k] - theta[reference]`` for every class but the
  reference (maximum likelihood, and ``'laplace'`` for two classes or with a
  `reference`), or
- the symmetric rows ``theta[k]`` of all classes (``'laplace'`` with three or
  more classes), identified by the prior.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Layout", "free_params", "parameterisation"]

_INTERCEPT = "intercept"


@dataclass
class Layout:
    """The table's parameterisation of a fitted model."""

    classes: np.ndarray
    theta: np.ndarray  # (K, n_coef): every class's coefficients
    fit_intercept: bool
    symmetric: bool  # the information is computed for all K rows
    reference: int | None  # index of the reference class of the table
    features: list

    @property
    def free(self):
        """Classes whose rows the information is computed for."""
        everyone = np.arange(len(self.classes))
        return everyone if self.symmetric else np.delete(everyone, self.reference)

    @property
    def rows(self):
        """Classes whose rows the table shows."""
        everyone = np.arange(len(self.classes))
        if self.reference is None:
            return everyone
        return np.delete(everyone, self.reference)

    def index(self):
        """Return the table's rows: (class, feature) pairs."""
        features = self.features + ([_INTERCEPT] if self.fit_intercept else [])
        return pd.MultiIndex.from_product(
            [pd.Index(self.classes[self.rows]), features], names=["class", "feature"]
        )


def parameterisation(estimator, covariance, reference):
    """Work out the table's parameterisation of a fitted model.

    Parameters
    ----------
    estimator : SoftmaxClassifier
        The fitted model; only its public attributes are read.
    covariance : str
        The covariance to compute (not ``'auto'``): ``'laplace'`` with three
        or more classes uses the symmetric rows.
    reference : object or None
        The reference class asked for, one of ``classes_``, or None.

    Returns
    -------
    layout : Layout
    """
    classes = np.asarray(estimator.classes_)
    coef = np.asarray(estimator.coef_, dtype=np.float64)
    intercept = np.broadcast_to(
        np.asarray(estimator.intercept_, dtype=np.float64), coef.shape[:1]
    )
    theta = np.column_stack([coef, intercept]) if estimator.fit_intercept else coef
    if len(classes) == 2 and len(theta) == 1:  # classes_[0] has logit 0
        theta = np.vstack([np.zeros_like(theta), theta])
    symmetric = covariance == "laplace" and len(classes) > 2
    if reference is not None:
        positions = np.flatnonzero(classes == reference)
        if len(positions) != 1:
            raise ValueError(
                f"reference must be one of the classes {classes.tolist()!r}; "
                f"got {reference!r}."
            )
        reference = int(positions[0])
    elif not symmetric:
        reference = 0
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        names = [f"x{i}" for i in range(coef.shape[1])]
    names = list(names)
    if estimator.fit_intercept and _INTERCEPT in names:
        raise ValueError(
            f"A feature is named {_INTERCEPT!r}, the name of the intercept row of "
            "the table; rename it."
        )
    return Layout(classes, theta, estimator.fit_intercept, symmetric, reference, names)


def free_params(layout):
    """Return the coefficients the information is computed for, flattened."""
    theta = layout.theta
    if layout.symmetric:
        theta = theta.copy()
        if layout.fit_intercept:  # identified up to a common shift: centre them
            theta[:, -1] -= theta[:, -1].mean()
        return theta.ravel()
    return (theta[layout.free] - theta[layout.reference]).ravel()
