"""Covariance algebra for inference: inverses, sandwiches, contrasts.

Inputs are the sums of :mod:`sk_softmax._hessian` (parameters in the row
order of the coefficient table: ``class * n_coef + coefficient``).
"""

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

# The largest number of parameters inference inverts a matrix for: a
# 5,000 x 5,000 float64 matrix holds 200 MB, and its inverse takes seconds.
MAX_PARAMETERS = 5000


def check_size(n_params, n_classes_free, n_coef):
    """Refuse problems whose information matrix is too large to invert."""
    if n_params > MAX_PARAMETERS:
        megabytes = n_params**2 * 8 / 1e6
        raise ValueError(
            f"inference needs the inverse of a {n_params} x {n_params} "
            f"information matrix ({n_classes_free} classes x {n_coef} "
            f"coefficients = {n_params} parameters, {megabytes:,.0f} MB), above "
            f"the limit of {MAX_PARAMETERS:,} parameters. Select fewer "
            "features, or merge classes."
        )


def inverse_spd(matrix, what):
    """Inverse of a symmetric positive definite matrix, refusing singular ones.

    The matrix is scaled to a unit diagonal (so that features on different
    scales do not matter) and factorised by Cholesky; it is refused when the
    factorisation fails or the reciprocal condition number of the scaled
    matrix is below ``n * eps``.

    Parameters
    ----------
    matrix : ndarray of shape (n, n)
        A symmetric matrix.
    what : str
        The matrix's name, for the error message.

    Returns
    -------
    inverse : ndarray of shape (n, n)
        Exactly symmetric (built from one triangle).
    """
    n = len(matrix)
    diagonal = np.diag(matrix)
    rcond = 0.0
    if np.all(diagonal > 0) and np.all(np.isfinite(matrix)):
        scale = 1 / np.sqrt(diagonal)
        scaled = matrix * scale[:, np.newaxis] * scale[np.newaxis, :]
        try:
            factor = scipy.linalg.cho_factor(scaled, lower=False)
        except np.linalg.LinAlgError:
            factor = None
        if factor is not None:
            rcond, _ = lapack.dpocon(factor[0], np.linalg.norm(scaled, 1))
    if not rcond > n * np.finfo(np.float64).eps:
        raise ValueError(
            f"The {what} is singular (reciprocal condition number {rcond:.1e}), "
            "so the coefficients are not identified: features that are "
            "collinear or constant (besides the intercept), a class with no "
            "samples, or classes that the features separate perfectly (then "
            "the maximum-likelihood estimate does not exist). Drop redundant "
            "features, or fit with alpha > 0 and use covariance='laplace'."
        )
    # The inverse from the factor (LAPACK potri): a third of a solve's work.
    upper, info = lapack.dpotri(factor[0], lower=0)
    if info != 0:  # pragma: no cover - the factor exists and is non-singular
        raise np.linalg.LinAlgError(f"LAPACK dpotri failed with info={info}.")
    np.copyto(upper, upper.T, where=np.tri(n, k=-1, dtype=bool))  # mirror
    upper *= np.outer(scale, scale)  # s_i * s_j == s_j * s_i: stays symmetric
    return upper


def laplace_inverse(penalised, n_classes, n_coef, fit_intercept):
    """Posterior covariance: the inverse penalised Hessian of the symmetric model.

    With an intercept, shifting every class's intercept by the same amount
    changes neither the likelihood nor the (intercept-free) penalty: the
    penalised Hessian ``H`` is singular along ``u`` (ones on the intercepts,
    normalised). The posterior is flat in that direction and the intercepts
    are identified up to a common shift. Since ``H u = 0``,
    ``(H + c u u^T)^{-1} = H^+ + u u^T / c``: the covariance returned is the
    pseudo-inverse ``H^+``, that of the centred intercepts (and of every
    contrast), without inverting a singular matrix.

    Parameters
    ----------
    penalised : ndarray of shape (K * n_coef, K * n_coef)
        The penalised Hessian of all K classes' coefficients.
    n_classes : int
        Number of classes ``K``.
    n_coef : int
        Coefficients per class, the intercept last.
    fit_intercept : bool
        Whether the last coefficient is an (unpenalised) intercept.

    Returns
    -------
    cov : ndarray of shape (K * n_coef, K * n_coef)
    """
    if not fit_intercept:
        return inverse_spd(penalised, "penalised Hessian")
    u = np.zeros((n_classes, n_coef))
    u[:, -1] = 1 / np.sqrt(n_classes)
    u = u.ravel()
    c = np.mean(np.diag(penalised))
    cov = inverse_spd(penalised + c * np.outer(u, u), "penalised Hessian")
    return cov - np.outer(u, u) / c


def contrast_matrix(n_classes, reference):
    """Rows ``e_k - e_ref`` for every class ``k`` but the reference.

    Returns
    -------
    T : ndarray of shape (K - 1, K)
    """
    T = np.eye(n_classes)
    T[:, reference] -= 1
    return np.delete(T, reference, axis=0)


def to_contrasts(params, cov, n_classes, n_coef, reference):
    """Map symmetric parameters and covariance to contrasts against `reference`.

    Parameters
    ----------
    params : ndarray of shape (K * n_coef,)
        Every class's coefficients, class-major.
    cov : ndarray of shape (K * n_coef, K * n_coef)
        Their covariance.
    n_classes : int
        Number of classes ``K``.
    n_coef : int
        Coefficients per class.
    reference : int
        Index of the reference class.

    Returns
    -------
    params : ndarray of shape ((K - 1) * n_coef,)
    cov : ndarray of shape ((K - 1) * n_coef, (K - 1) * n_coef)
    """
    T = contrast_matrix(n_classes, reference)
    params = (T @ params.reshape(n_classes, n_coef)).ravel()
    cov4 = cov.reshape(n_classes, n_coef, n_classes, n_coef)
    cov = np.einsum("ka,aibj,lb->kilj", T, cov4, T, optimize=True)
    size = (n_classes - 1) * n_coef
    return params, cov.reshape(size, size)


def sandwich(bread, meat):
    """Return ``bread @ meat @ bread``, exactly symmetric."""
    cov = bread @ meat @ bread
    return (cov + cov.T) / 2


def cluster_sandwich(bread, group_scores):
    """Return ``bread @ S^T S @ bread`` for the group score sums ``S``.

    With fewer groups than twice the parameters, as ``T T^T`` with
    ``T = bread @ S^T`` (``4 P^2 G`` operations instead of ``2 G P^2 +
    4 P^3``).
    """
    n_groups, n_params = group_scores.shape
    if n_groups >= 2 * n_params:
        return sandwich(bread, group_scores.T @ group_scores)
    half = bread @ group_scores.T
    cov = half @ half.T
    return (cov + cov.T) / 2


def cluster_factor(n_groups, nobs, n_params):
    """Return the small-sample factor of the cluster-robust covariance (CRV1).

    ``G / (G - 1) * (N - 1) / (N - P)`` for ``G`` groups, ``N`` observations
    and ``P`` parameters: statsmodels' default (``use_correction=True``), also
    Stata's.
    """
    return n_groups / (n_groups - 1) * (nobs - 1) / (nobs - n_params)


def newton_step_in_se(bread, gradient):
    """How far one Newton step from the fitted point would move, in standard errors.

    Parameters
    ----------
    bread : ndarray of shape (P, P)
        Inverse (penalised) Hessian of the total negative log-likelihood.
    gradient : ndarray of shape (P,)
        Gradient of the same objective at the fitted coefficients.

    Returns
    -------
    step : float
        ``max_j |(bread @ gradient)_j| / sqrt(bread_jj)``: 0 at the optimum.
    """
    step = bread @ gradient
    return float(np.max(np.abs(step) / np.sqrt(np.diag(bread))))
