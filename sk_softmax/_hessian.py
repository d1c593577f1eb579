"""The sums behind inference: log-likelihood, score, observed information, meat.

For a fitted model with coefficient rows ``theta_k`` (features, then the
intercept) and rows ``x~_i = [x_i, 1]``, the probabilities are
``p_i = softmax(theta @ x~_i)``. Inference works in a parameterisation whose
free rows are a subset ``F`` of the classes (every class but the reference,
or all of them); with ``q_i = p_i[F]`` and ``r_i = y_i[F] - q_i`` (``y_i``
one-hot), and the sample weights ``s_i``, the statistics are sums over rows::

    loglik       = sum_i s_i log p_{i, y_i}
    score        = sum_i s_i r_i (x) x~_i
    information  = sum_i s_i (diag(q_i) - q_i q_i^T) (x) x~_i x~_i^T
    meat         = sum_i s_i (r_i (x) x~_i) (r_i (x) x~_i)^T         (HC0)
    group score  = sum_{i in g} s_i r_i (x) x~_i                     (cluster)

with ``(x)`` the Kronecker product, so that a parameter's index is
``class * n_coef + coefficient``: the row order of the coefficient table.

Each sum is built block by block over the rows. Within a block the
information is one matrix product: with ``A = sqrt(s) q (x) x~`` (the
row-wise Kronecker product, ``n_block x P``), it is
``blockdiag_k(x~^T diag(s q_k) x~) - A^T A``; no ``(n, K, K)`` tensor is ever
formed, and sparse rows stay sparse. The blocks' :class:`Sums` add up, so the
same code reduces the row chunks of a dask array (:func:`dask_sums`).
"""

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sk_softmax._softmax import log_softmax

# Entries of a block's (rows x parameters) work arrays: 16 MiB in float64.
BLOCK_ENTRIES = 2**21


@dataclass(frozen=True)
class ModelSpec:
    """What a block needs to know about the model and the statistics wanted.

    Parameters
    ----------
    classes : ndarray of shape (K,)
        The model's sorted class labels.
    class_weights : ndarray of shape (K,)
        Weight of each class, multiplied into the sample weights.
    theta : ndarray of shape (K, n_coef)
        Every class's coefficients, the intercept last when `fit_intercept`
        (a binary model's reference row is zeros).
    fit_intercept : bool
        Whether the rows get a last column of ones.
    free : ndarray of shape (m,)
        Indices of the classes whose rows are parameters.
    meat : bool
        Whether to sum the score outer products (HC0).
    group_labels : pandas.Index or None
        The distinct groups (cluster), or None.
    """

    classes: np.ndarray
    class_weights: np.ndarray
    theta: np.ndarray
    fit_intercept: bool
    free: np.ndarray
    meat: bool
    group_labels: pd.Index | None

    @property
    def n_params(self):
        """Number of parameters: free classes times coefficients."""
        return len(self.free) * self.theta.shape[1]


@dataclass
class Sums:
    """Row sums of one block, or of several blocks added together."""

    loglik: float
    class_totals: np.ndarray
    score: np.ndarray
    information: np.ndarray
    meat: np.ndarray | None
    group_codes: np.ndarray | None
    group_scores: np.ndarray | None
    group_weights: np.ndarray | None

    def __add__(self, other):
        meat = None if self.meat is None else self.meat + other.meat
        groups = (None, None, None)
        if self.group_codes is not None:
            groups = _merge_groups(
                np.concatenate([self.group_codes, other.group_codes]),
                np.vstack([self.group_scores, other.group_scores]),
                np.concatenate([self.group_weights, other.group_weights]),
            )
        return Sums(
            self.loglik + other.loglik,
            self.class_totals + other.class_totals,
            self.score + other.score,
            self.information + other.information,
            meat,
            *groups,
        )


def _merge_groups(codes, scores, weights):
    """Add up the rows of `scores` and `weights` that share a group code."""
    unique, inverse = np.unique(codes, return_inverse=True)
    indicator = sp.csr_array(
        (np.ones(len(codes)), (inverse, np.arange(len(codes)))),
        shape=(len(unique), len(codes)),
    )
    return unique, indicator @ scores, indicator @ weights


def _with_ones(X, fit_intercept):
    """Return the rows ``x~``: `X` in float64, a last column of ones if asked."""
    if sp.issparse(X):
        X = sp.csr_array(X, dtype=np.float64)
        if fit_intercept:
            ones = sp.csr_array(np.ones((X.shape[0], 1)))
            X = sp.hstack([X, ones], format="csr")
        return X
    X = np.asarray(X, dtype=np.float64)
    if fit_intercept:
        X = np.hstack([X, np.ones((X.shape[0], 1))])
    return X


def row_kron(M, X):
    """Row-wise Kronecker product: row ``i`` is ``kron(M[i], X[i])``.

    Parameters
    ----------
    M : ndarray of shape (n, m)
        Dense factors.
    X : {ndarray, sparse matrix} of shape (n, d)
        Rows, dense or sparse.

    Returns
    -------
    product : {ndarray, sparse CSR array} of shape (n, m * d)
        Sparse when `X` is.
    """
    if sp.issparse(X):
        blocks = [sp.diags_array(M[:, k]) @ X for k in range(M.shape[1])]
        return sp.hstack(blocks, format="csr")
    return (M[:, :, np.newaxis] * X[:, np.newaxis, :]).reshape(len(X), -1)


def _dense(a):
    """Return a product's result as an ndarray (sparse products are sparse)."""
    return a.toarray() if sp.issparse(a) else np.asarray(a)


def _information(X1, q, s):
    """``sum_i s_i (diag(q_i) - q_i q_i^T) (x) x~_i x~_i^T`` of one block."""
    m, d = q.shape[1], X1.shape[1]
    A = row_kron(q * np.sqrt(s)[:, np.newaxis], X1)
    information = -_dense(A.T @ A)
    diagonal = _dense(X1.T @ row_kron(q * s[:, np.newaxis], X1))  # (d, m * d)
    for k in range(m):
        block = slice(k * d, (k + 1) * d)
        information[block, block] += diagonal[:, block]
    return information


def encode(values, labels, what):
    """Positions of `values` in `labels`; a ValueError names unknown values."""
    codes = labels.get_indexer(values)
    if np.any(codes < 0):
        unknown = pd.unique(np.asarray(values)[codes < 0])[:5].tolist()
        raise ValueError(
            f"{what} has values the model does not know: {unknown!r}; the "
            f"known values are {labels.tolist()[:20]!r}."
        )
    return codes


def block_sums(X, y, sample_weight, groups, spec):
    """Compute the :class:`Sums` of one block of rows.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n, n_features)
        The rows.
    y : ndarray of shape (n,)
        Class labels, all among ``spec.classes``.
    sample_weight : ndarray of shape (n,) or None
        Sample weights (the class weights are applied here).
    groups : ndarray of shape (n,) or None
        Group labels, all among ``spec.group_labels``.
    spec : ModelSpec
        The model and the statistics wanted.

    Returns
    -------
    sums : Sums
    """
    codes = encode(np.asarray(y).ravel(), pd.Index(spec.classes), "y")
    s = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight)
    s = s.astype(np.float64).ravel() * spec.class_weights[codes]
    X1 = _with_ones(X, spec.fit_intercept)
    log_p = log_softmax(_dense(X1 @ spec.theta.T), axis=1)
    q = np.exp(log_p[:, spec.free])
    resid = (codes[:, np.newaxis] == spec.free[np.newaxis, :]) - q
    meat = None
    if spec.meat:
        U = row_kron(resid * np.sqrt(s)[:, np.newaxis], X1)
        meat = _dense(U.T @ U)
    group_parts = (None, None, None)
    if spec.group_labels is not None:
        g = encode(np.asarray(groups).ravel(), spec.group_labels, "groups")
        U = row_kron(resid * s[:, np.newaxis], X1)
        present, inverse = np.unique(g, return_inverse=True)
        indicator = sp.csr_array(
            (np.ones(len(g)), (inverse, np.arange(len(g)))),
            shape=(len(present), len(g)),
        )
        group_parts = (present, _dense(indicator @ U), indicator @ s)
    return Sums(
        loglik=float(s @ log_p[np.arange(len(codes)), codes]),
        class_totals=np.bincount(codes, weights=s, minlength=len(spec.classes)),
        score=_dense((resid * s[:, np.newaxis]).T @ X1).ravel(),
        information=_information(X1, q, s),
        meat=meat,
        group_codes=group_parts[0],
        group_scores=group_parts[1],
        group_weights=group_parts[2],
    )


def block_rows(spec, X):
    """Rows per block: the work arrays hold about ``BLOCK_ENTRIES`` numbers.

    A dense block's row-wise Kronecker products hold ``rows * n_params``
    numbers; a sparse block's only ``rows * nnz_per_row * n_free``, so sparse
    blocks are larger (and fewer dense ``n_params x n_params`` results are
    added up).
    """
    per_row = spec.n_params
    if sp.issparse(X) and X.shape[0]:
        nnz_per_row = X.nnz / X.shape[0] + spec.fit_intercept
        per_row = max(1.0, nnz_per_row * len(spec.free))
    return max(1, int(BLOCK_ENTRIES // per_row))


def memory_sums(X, y, sample_weight, groups, spec):
    """Sum :func:`block_sums` over blocks of the rows of in-memory data."""
    n, step = X.shape[0], block_rows(spec, X)
    total = None
    for start in range(0, n, step):
        rows = slice(start, min(start + step, n))
        part = block_sums(
            X[rows],
            y[rows],
            None if sample_weight is None else sample_weight[rows],
            None if groups is None else groups[rows],
            spec,
        )
        total = part if total is None else total + part
    return total


def _chunk_blocks(array, n_chunks):
    """Return the row chunks of a dask array as delayed objects (or Nones)."""
    if array is None:
        return [None] * n_chunks
    return list(array.to_delayed().ravel())


def dask_sums(X, y, sample_weight, groups, spec):
    """Sum :func:`block_sums` over the row chunks of dask arrays.

    Each chunk's sums are computed where the chunk lives (by
    :func:`memory_sums`, in blocks of rows) and added up in a tree, so that
    only parameter-sized arrays travel; the data are never gathered.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        One chunk across the features.
    y, sample_weight, groups : dask arrays of shape (n_samples,) or None
        With the row chunks of `X`.
    spec : ModelSpec
        The model and the statistics wanted.

    Returns
    -------
    sums : Sums
    """
    import dask

    n_chunks = len(X.chunks[0])
    spec_key = dask.delayed(spec)
    parts = [
        dask.delayed(memory_sums)(*blocks, spec_key)
        for blocks in zip(
            _chunk_blocks(X, n_chunks),
            _chunk_blocks(y, n_chunks),
            _chunk_blocks(sample_weight, n_chunks),
            _chunk_blocks(groups, n_chunks),
            strict=True,
        )
    ]
    while len(parts) > 1:
        pairs = [
            dask.delayed(operator.add)(a, b)
            for a, b in zip(parts[::2], parts[1::2], strict=False)
        ]
        parts = pairs + parts[len(pairs) * 2 :]
    return parts[0].compute()
