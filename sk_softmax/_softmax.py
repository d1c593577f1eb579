"""SoftMax, ArgMax and the softmax derivative.

The pointwise maths of the package, in raw-prediction (logit) space. This module
knows nothing about features, coefficients or estimators and imports numpy only.

For logits ``z`` along an axis of length ``K``::

    softmax(z)_k     = exp(z_k - m) / sum_j exp(z_j - m),     m = max_j z_j
    log_softmax(z)_k = (z_k - m) - log(sum_j exp(z_j - m))
    J(p)             = diag(p) - p p^T                        (p = softmax(z))
    J(p) v           = p * (v - <p, v>)                       (matrix-free)

Shifting by the maximum ``m`` changes nothing mathematically (softmax is invariant
to adding a constant to every logit) and keeps every ``exp`` in ``[0, 1]``, so the
functions are finite for logits as large as the floating-point range allows.
Floating inputs keep their dtype (float32 in, float32 out); other numeric inputs
are computed in float64.
"""

import numpy as np

__all__ = [
    "argmax",
    "hardmax",
    "log_softmax",
    "softmax",
    "softmax_jacobian",
    "softmax_jvp",
]


def _as_float(a):
    """Return ``a`` as an ndarray of a floating dtype (float32 stays float32)."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        raise TypeError(
            f"Logits and probabilities must be real; got dtype {a.dtype}. Pass "
            "np.real(z) or np.abs(z) explicitly."
        )
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    return a


def _shifted(z, axis):
    """Logits minus their maximum along ``axis``.

    Rows whose maximum is infinite are mapped to their limit: the entries equal
    to the maximum become 0 and every other entry ``-inf``, so that SoftMax
    spreads the mass uniformly over the ``+inf`` logits (over the whole row
    when every logit is ``-inf``) instead of returning NaN. A row that holds a
    NaN becomes NaN throughout, without evaluating its other entries.
    """
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = z - np.where(np.isfinite(m), m, 0)
    not_finite = ~np.isfinite(m)
    if np.any(not_finite):
        m = np.broadcast_to(m, z.shape)
        limit = np.where(np.isnan(m), np.nan, np.where(z == m, 0, -np.inf))
        not_finite = np.broadcast_to(not_finite, z.shape)
        shifted = np.where(not_finite, limit, shifted).astype(z.dtype, copy=False)
    return shifted


def softmax(z, axis=-1):
    """Compute SoftMax: logits to probabilities along an axis.

    ``softmax(z)_k = exp(z_k) / sum_j exp(z_j)``, evaluated after subtracting the
    maximum logit so that no exponential overflows.

    Parameters
    ----------
    z : array-like
        Logits (raw scores).
    axis : int, default=-1
        Axis along which the probabilities sum to one.

    Returns
    -------
    p : ndarray of the same shape as `z`
        Probabilities in ``[0, 1]`` that sum to one along `axis`. Floating `z`
        keeps its dtype; other inputs give float64.

    See Also
    --------
    log_softmax : Logarithm of SoftMax, computed directly.
    hardmax : One-hot ArgMax, the zero-temperature limit of SoftMax.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_softmax import softmax
    >>> softmax(np.array([1.43, -0.4, 0.23]))
    array([0.68417808, 0.10975145, 0.20607048])
    """
    z = _as_float(z)
    e = np.exp(_shifted(z, axis))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def log_softmax(z, axis=-1):
    """Compute the logarithm of SoftMax directly and stably.

    ``log_softmax(z)_k = z_k - logsumexp(z)``. It is never computed as
    ``log(softmax(z))``, which underflows to ``-inf`` as soon as a probability is
    below the smallest positive float.

    Parameters
    ----------
    z : array-like
        Logits (raw scores).
    axis : int, default=-1
        Axis along which SoftMax normalises.

    Returns
    -------
    log_p : ndarray of the same shape as `z`
        Log-probabilities (at most 0). Floating `z` keeps its dtype; other inputs
        give float64. An entry is ``-inf`` only when its exact value is below the
        most negative float (for example ``z = [1e308, -1e308]``).

    See Also
    --------
    softmax : SoftMax itself.

    Examples
    --------
    >>> from sk_softmax import log_softmax
    >>> log_softmax([0.0, -1000.0])
    array([    0., -1000.])
    """
    z = _as_float(z)
    shifted = _shifted(z, axis)
    lse = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    with np.errstate(over="ignore"):
        shifted -= lse
    return shifted


def softmax_xp(z, xp, axis=-1):
    """Compute SoftMax with the functions of the array namespace `xp`.

    The same shifted formula as :func:`softmax`, for arrays of another array
    API namespace (torch, CuPy, ...), which stay on their device. Finite
    logits only: the ``+inf`` limits of :func:`softmax` are numpy's.
    """
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax_xp(z, xp, axis=-1):
    """Compute log-SoftMax directly with the functions of the namespace `xp`.

    The array API counterpart of :func:`log_softmax` (finite logits only).
    """
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def softmax_jacobian(p, axis=-1):
    """Dense Jacobian of SoftMax, ``J = diag(p) - p p^T``.

    ``J[k, j] = d softmax(z)_k / d z_j = p_k (delta_kj - p_j)``, so the diagonal is
    ``p_k (1 - p_k)`` and the off-diagonal ``-p_k p_j``.
    It is symmetric and ``J @ 1 = 0``. The tensor has ``K`` times as many entries
    as `p`: use it to teach and to test; :func:`softmax_jvp` applies it without
    forming it.

    Parameters
    ----------
    p : array-like
        Probabilities, the output of :func:`softmax` (not the logits).
    axis : int, default=-1
        Axis of `p` that holds the classes.

    Returns
    -------
    J : ndarray of shape (..., K, K)
        One ``K x K`` Jacobian per vector of probabilities; the leading dimensions
        are those of `p` without `axis`, in order.

    See Also
    --------
    softmax_jvp : The product ``J @ v`` without the dense matrix.

    Examples
    --------
    >>> from sk_softmax import softmax_jacobian
    >>> softmax_jacobian([0.5, 0.5])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    p = np.moveaxis(_as_float(p), axis, -1)
    jac = -p[..., :, None] * p[..., None, :]
    diag = np.einsum("...kk->...k", jac)
    diag += p
    return jac


def softmax_jvp(p, v, axis=-1):
    """Apply the SoftMax Jacobian to a vector without forming it.

    ``J v = (diag(p) - p p^T) v = p * (v - <p, v>)``: O(K) work per vector of
    probabilities instead of O(K^2), and no ``K x K`` matrix in memory. Because
    ``J`` is symmetric, this is also the vector-Jacobian product.

    Parameters
    ----------
    p : array-like
        Probabilities, the output of :func:`softmax`.
    v : array-like
        Direction(s) in logit space, broadcastable against `p`.
    axis : int, default=-1
        Axis that holds the classes.

    Returns
    -------
    jv : ndarray
        ``J @ v`` along `axis`, of the broadcast shape of `p` and `v`.

    See Also
    --------
    softmax_jacobian : The dense Jacobian, for reference.

    Examples
    --------
    >>> from sk_softmax import softmax_jvp
    >>> softmax_jvp([0.5, 0.5], [1.0, 0.0])
    array([ 0.25, -0.25])
    """
    p = _as_float(p)
    v = _as_float(v).astype(p.dtype, copy=False)
    return p * (v - np.sum(p * v, axis=axis, keepdims=True))


def argmax(z, axis=-1):
    """Compute ArgMax: the index of the largest logit along an axis.

    Ties go to the first maximal index, as in :func:`numpy.argmax`.

    Parameters
    ----------
    z : array-like
        Logits or probabilities.
    axis : int, default=-1
        Axis to search.

    Returns
    -------
    index : ndarray of int or int
        Positions of the maxima, with `axis` removed.

    See Also
    --------
    hardmax : The same decision as a one-hot vector.

    Examples
    --------
    >>> from sk_softmax import argmax
    >>> int(argmax([1.43, -0.4, 0.23]))
    0
    """
    z = np.asarray(z)
    if z.dtype.kind not in "biuf":  # as hardmax: strings, objects, complex
        z = _as_float(z)
    return np.argmax(z, axis=axis)


def hardmax(z, axis=-1):
    """Compute one-hot ArgMax: 1 at the largest logit, 0 elsewhere.

    The zero-temperature limit of SoftMax: ``softmax(z / T) -> hardmax(z)`` as
    ``T -> 0`` when the maximum is unique. Ties go to the first maximal index, so
    every output row holds exactly one 1.

    Parameters
    ----------
    z : array-like
        Logits.
    axis : int, default=-1
        Axis along which to pick the maximum.

    Returns
    -------
    one_hot : ndarray of the same shape as `z`
        Zeros with a single one along `axis`, in the floating dtype of `z`
        (float64 for other inputs), so it compares directly with :func:`softmax`.

    See Also
    --------
    argmax : The index instead of the one-hot vector.

    Examples
    --------
    >>> from sk_softmax import hardmax
    >>> hardmax([1.43, -0.4, 0.23]).astype(int)
    array([1, 0, 0])
    """
    z = _as_float(z)
    index = np.expand_dims(np.argmax(z, axis=axis), axis)
    out = np.zeros_like(z)
    np.put_along_axis(out, index, 1, axis=axis)
    return out
