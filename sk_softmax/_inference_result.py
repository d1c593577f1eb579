"""InferenceResult: the coefficient table and the likelihood statistics."""

from numbers import Real

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["InferenceResult"]

_COLUMNS = ["coef", "std_err", "z", "p_value", "ci_lower", "ci_upper"]


def _check_level(alpha):
    """Validate a significance level."""
    if not isinstance(alpha, Real) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise ValueError(
            f"alpha is the significance level, a number in (0, 1); got {alpha!r}."
        )


class InferenceResult:
    """Standard errors, tests and likelihood statistics of a fitted softmax model.

    Returned by :func:`~sk_softmax.inference`, which documents how each
    covariance is computed and when it is valid; not meant to be built
    directly. The arrays follow the ``n_rows`` rows of :meth:`summary_frame`:
    class by class (every class but the reference, in the order of
    ``classes_``), within a class the features, then ``"intercept"``.

    Parameters
    ----------
    params : ndarray of shape (n_rows,)
        The coefficients in the table's parameterisation.
    cov : ndarray of shape (n_rows, n_rows)
        Their covariance.
    index : pandas.MultiIndex of length n_rows
        The rows: levels ``("class", "feature")``.
    llf : float
        Log-likelihood of the fitted model.
    llnull : float
        Log-likelihood of the intercept-only model.
    nobs : float
        Number of observations (the total weight).
    n_params : int
        Number of identified parameters of the likelihood.
    df_model : int
        Number of slope parameters (the intercepts excluded).
    covariance : {'nonrobust', 'HC0', 'cluster', 'laplace'}
        The covariance used.
    reference : object or None
        The reference class; None for the symmetric parameterisation.

    Attributes
    ----------
    params : ndarray of shape (n_rows,)
        The coefficients: the contrasts ``W[k] - W[reference]`` (features,
        then intercept), or with ``reference=None`` (covariance ``'laplace'``
        with three or more classes) every class's own coefficients, the
        intercepts centred to sum to zero.
    bse : ndarray of shape (n_rows,)
        Standard errors, ``sqrt(diag(cov))``.
    zvalues : ndarray of shape (n_rows,)
        ``params / bse``.
    pvalues : ndarray of shape (n_rows,)
        Two-sided p-values of ``z`` under the standard normal distribution.
    cov : ndarray of shape (n_rows, n_rows)
        Covariance of `params`.
    index : pandas.MultiIndex of length n_rows
        The rows of the table, levels ``("class", "feature")``.
    covariance : str
        The covariance used: ``'nonrobust'``, ``'HC0'``, ``'cluster'`` or
        ``'laplace'`` (never ``'auto'``).
    reference : object or None
        The reference class, or None (symmetric parameterisation).
    llf : float
        Log-likelihood ``sum_i s_i log p_i[y_i]`` of the fitted model.
    llnull : float
        Log-likelihood of the intercept-only model (the weighted class
        frequencies), whether or not the model has an intercept.
    llr : float
        Likelihood-ratio statistic ``2 * (llf - llnull)``.
    llr_pvalue : float
        ``chi2.sf(llr, df_model)``; NaN with ``covariance='laplace'``: a
        likelihood-ratio test needs the maximum-likelihood fit.
    aic : float
        ``2 * n_params - 2 * llf``; NaN with ``covariance='laplace'``.
    bic : float
        ``log(nobs) * n_params - 2 * llf``; NaN with ``covariance='laplace'``.
    prsquared : float
        McFadden's pseudo-R², ``1 - llf / llnull``.
    n_params : int
        Number of identified parameters: ``K - 1`` classes times the
        coefficients per class (features, and the intercept when fitted).
        It equals ``n_rows`` except in the symmetric table, which shows all
        ``K`` classes.
    df_model : int
        Number of slope parameters, ``(K - 1) * n_features``. (statsmodels
        subtracts a constant even from a model without one.)
    df_resid : float
        ``nobs - n_params``.
    nobs : float
        Number of observations: the total weight (sample weights times class
        weights), the row count with unit weights.

    See Also
    --------
    inference : Compute an InferenceResult.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_softmax import SoftmaxClassifier, inference
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> X = X[["sepal length (cm)"]]
    >>> clf = SoftmaxClassifier(alpha=0, tol=1e-10, solver="newton-cg").fit(X, y)
    >>> result = inference(clf, X, y)
    >>> result.index.tolist()[:2]
    [(1, 'sepal length (cm)'), (1, 'intercept')]
    >>> result.params.round(2)
    array([  4.82, -26.08,   6.85, -38.76])
    >>> result.conf_int(alpha=0.1).round(2)
    array([[  3.32,   6.31],
           [-34.12, -18.04],
           [  5.16,   8.53],
           [-48.12, -29.4 ]])
    >>> round(result.llf, 2), round(result.prsquared, 3), result.nobs
    (-91.03, 0.448, 150.0)
    """

    def __init__(
        self,
        params,
        cov,
        index,
        *,
        llf,
        llnull,
        nobs,
        n_params,
        df_model,
        covariance,
        reference,
    ):
        self.params = np.asarray(params, dtype=np.float64)
        self.cov = np.asarray(cov, dtype=np.float64)
        self.index = index
        self.covariance = covariance
        self.reference = reference
        self.bse = np.sqrt(np.diag(self.cov))
        self.zvalues = self.params / self.bse
        self.pvalues = 2 * stats.norm.sf(np.abs(self.zvalues))
        self.nobs = float(nobs)
        self.n_params = int(n_params)
        self.df_model = int(df_model)
        self.df_resid = self.nobs - self.n_params
        self.llf = float(llf)
        self.llnull = float(llnull)
        self.llr = 2 * (self.llf - self.llnull)
        self.prsquared = 1 - self.llf / self.llnull
        penalised = covariance == "laplace"
        self.llr_pvalue = (
            np.nan if penalised else float(stats.chi2.sf(self.llr, self.df_model))
        )
        self.aic = np.nan if penalised else 2 * self.n_params - 2 * self.llf
        self.bic = (
            np.nan if penalised else np.log(self.nobs) * self.n_params - 2 * self.llf
        )

    def conf_int(self, alpha=0.05):
        """Confidence intervals ``params ± z_{1 - alpha/2} * bse``.

        With ``covariance='laplace'``, the central ``1 - alpha`` interval of
        the Gaussian (Laplace) approximation of the posterior.

        Parameters
        ----------
        alpha : float, default=0.05
            Significance level (not the model's penalty): the intervals cover
            ``1 - alpha``.

        Returns
        -------
        intervals : ndarray of shape (n_rows, 2)
            Lower and upper bounds, in the rows of :meth:`summary_frame`.
        """
        _check_level(alpha)
        half = stats.norm.ppf(1 - alpha / 2) * self.bse
        return np.column_stack([self.params - half, self.params + half])

    def summary_frame(self, alpha=0.05):
        """Return the coefficient table as a DataFrame.

        Parameters
        ----------
        alpha : float, default=0.05
            Significance level of the intervals (not the model's penalty).

        Returns
        -------
        frame : pandas.DataFrame of shape (n_rows, 6)
            Indexed by a ``MultiIndex`` named ``("class", "feature")``: the
            class labels (every class but the reference), and within each the
            feature names (``feature_names_in_`` or ``x0, x1, ...``) then
            ``"intercept"``. Columns ``coef``, ``std_err``, ``z``, ``p_value``,
            ``ci_lower``, ``ci_upper``.
        """
        intervals = self.conf_int(alpha)
        values = np.column_stack(
            [self.params, self.bse, self.zvalues, self.pvalues, intervals]
        )
        return pd.DataFrame(values, index=self.index.copy(), columns=_COLUMNS)

    def __repr__(self):
        return (
            f"InferenceResult(covariance={self.covariance!r}, "
            f"reference={self.reference!r}, nobs={self.nobs:g}, "
            f"n_params={self.n_params}, llf={self.llf:.6g})"
        )
