"""The array operations the objective needs, one class per kind of array library.

The objective's formulas (:mod:`sk_softmax._objective._cross_entropy`,
:mod:`sk_softmax._objective._linear`) are written once against these methods;
which class serves them is decided once, when the objective is built
(:func:`array_ops`), and never tested again inside the maths:

- :class:`NumpyOps` for numpy arrays and scipy.sparse matrices writes results
  into work buffers allocated on first use (``out=``), and uses the sparse
  product where ``X`` is sparse;
- :class:`ArrayAPIOps` for an array API namespace on its device (torch,
  CuPy, array-api-strict) returns new arrays, since the standard has no
  ``out=``.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from sk_softmax.utils._sklearn_compat import (
    _expit,
    _is_numpy_namespace,
    get_namespace_and_device,
    move_to,
)


class Labels(NamedTuple):
    """Encoded labels in the form the cross-entropy's formulas use them.

    Attributes
    ----------
    y : array of shape (n_samples,)
        Class indices in ``[0, K)``.
    flat : array of shape (n_samples,) or None
        For ``K >= 3``: the position of ``Z[y_i, i]`` in the ravel of the
        class-major (K, n) logits.
    y1 : array of shape (n_samples,) or None
        For ``K = 2``: the indicator of class 1, in the data's dtype.
    weighted : array of shape (k, n_samples) or None
        ``diag(w) Y`` of the free classes, where the library cannot subtract
        at positions in place (array API).
    """

    y: object
    flat: object
    y1: object
    weighted: object


class NumpyOps:
    """numpy and scipy.sparse, computing into reused buffers.

    Parameters
    ----------
    dtype : dtype
        The floating dtype of the data and of every buffer.
    """

    xp = np
    device = None

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self._buffers = {}

    def buffer(self, name, shape):
        """Return the work array `name`, allocated on first use, then reused."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self._buffers[name] = np.empty(shape, dtype=self.dtype)
        return buf

    def call(self, name, *args, out=None, **kwargs):
        """Return ``numpy.<name>(*args)``, written into `out` when given."""
        if out is not None:
            kwargs["out"] = out
        return getattr(np, name)(*args, **kwargs)

    def asarray(self, a):
        """Return host coefficients as an array of this library and dtype."""
        return np.asarray(a, dtype=self.dtype)

    def from_host(self, a):
        """Return a host array in this library and the data's dtype."""
        return np.asarray(a, dtype=self.dtype)

    def new_array(self, shape):
        """Return an uninitialised array to write a result into."""
        return np.empty(shape, dtype=self.dtype)

    def to_host(self, a):
        """Return an array of this library as a numpy array."""
        return a

    def take(self, a, flat_index):
        """Return the entries of `a` at the positions of its ravel `flat_index`."""
        return np.take(a, flat_index)

    def weighted_sum(self, weights64, weights, terms):
        """``sum_i w_i terms_i`` as a float, with the float64 host weights."""
        return float(weights64 @ terms)

    def row_sq(self, X):
        """Squared norms of the rows of `X`."""
        if sp.issparse(X):
            return np.asarray(X.multiply(X).sum(axis=1)).ravel()
        return np.einsum("ij,ij->i", X, X)

    def linear(self, X, W, b, out):
        """Write ``(X @ W.T + b).T`` (k, n) into `out`; return it."""
        if sp.issparse(X):
            out[...] = (X @ W.T).T
        else:
            np.matmul(W, X.T, out=out)
        if b is not None:
            np.add(out, b[:, None], out=out)
        return out

    def softmax_jvp(self, P, dZ, weights):
        """``w_i * p_i * (dz_i - <p_i, dz_i>)`` per sample, in place in `dZ`.

        The softmax Jacobian-vector product of
        :func:`sk_softmax.softmax_jvp` on class-major (k, n) arrays, weighted.
        """
        inner = np.einsum("kn,kn->n", P, dZ)
        dZ -= inner
        dZ *= P
        dZ *= weights
        return dZ

    def expit_weighted(self, z, weights, out):
        """``sigmoid(z) * weights`` as a (1, n) array, in `out`."""
        expit(z, out=out[0])
        out *= weights
        return out

    def labels(self, y, n_classes, weights, binary):
        """Encode labels `y` for the cross-entropy; see :class:`Labels`."""
        y = np.asarray(y, dtype=np.intp)
        n_samples = y.shape[0]
        if binary:
            return Labels(y, None, (y == 1).astype(self.dtype), None)
        return Labels(y, y * n_samples + np.arange(n_samples), None, None)

    def subtract_labels(self, G, labels, weights):
        """``G - diag(w) Y`` for class-major `G` (free classes), in place."""
        if labels.flat is None:
            G[0] -= labels.y1 * weights
        else:
            G.reshape(-1)[labels.flat] -= weights
        return G

    def label_products(self, X, labels, weights, n_classes, k):
        """``(diag(w) Y) @ X`` (k, d) for the free classes, in the data's dtype.

        A float64 sparse factor would upcast a copy of `X`: the sparse one-hot
        matrix carries the data's dtype.
        """
        n_samples = X.shape[0]
        targets = sp.csr_matrix(
            (weights, (labels.y, np.arange(n_samples))), shape=(n_classes, n_samples)
        )[n_classes - k :]
        target_X = targets @ X
        return np.asarray(
            target_X.toarray() if sp.issparse(target_X) else target_X,
            dtype=self.dtype,
        )

    def pack_gradient(self, layout, G, X, minus=None):
        """Flat ``[G @ X - minus_W, sum(G) - minus_b]`` of class-major `G`.

        ``minus`` is a pair ``(W part, b part)`` to subtract, or None.
        """
        grad = np.empty(layout.n_dof, dtype=self.dtype)
        gW, gb = layout.unpack(grad)
        if sp.issparse(X):
            gW[...] = (X.T @ G.T).T
        else:
            np.matmul(G, X, out=gW)
        if minus is not None:
            gW -= minus[0]
        if gb is not None:
            np.sum(G, axis=1, out=gb)
            if minus is not None:
                gb -= minus[1]
        return grad


class ArrayAPIOps:
    """An array API namespace on its device; every operation returns a new array.

    Parameters
    ----------
    xp : namespace
        The array API namespace of the data.
    device : device
        The data's device.
    dtype : dtype
        The numpy dtype matching the data's floating dtype (host side).
    data_dtype : dtype
        The data's floating dtype in `xp`.
    """

    def __init__(self, xp, device, dtype, data_dtype):
        self.xp, self.device = xp, device
        self.dtype = np.dtype(dtype)
        self.data_dtype = data_dtype

    def buffer(self, name, shape):
        """No work arrays: the namespace allocates its results."""
        return None

    def call(self, name, *args, out=None, **kwargs):
        """Return ``xp.<name>(*args)``; `out` is ignored."""
        return getattr(self.xp, name)(*args, **kwargs)

    def asarray(self, a):
        """Return coefficients unchanged: they are already of this library."""
        return a

    def from_host(self, a):
        """Return a host array on the device, in the data's dtype."""
        return self.xp.asarray(a, dtype=self.data_dtype, device=self.device)

    def new_array(self, shape):
        """None: the namespace allocates each result itself."""
        return None

    def to_host(self, a):
        """Return an array of this library as a float64 numpy array."""
        return np.asarray(move_to(a, xp=np, device="cpu"), dtype=np.float64)

    def take(self, a, flat_index):
        """Return the entries of `a` at the positions of its ravel `flat_index`."""
        return self.xp.take(self.xp.reshape(a, (-1,)), flat_index)

    def weighted_sum(self, weights64, weights, terms):
        """``sum_i w_i terms_i`` as a float, on the device."""
        return float(self.xp.sum(weights * terms))

    def row_sq(self, X):
        """Squared norms of the rows of `X`."""
        return self.xp.vecdot(X, X)

    def linear(self, X, W, b, out):
        """Return ``(X @ W.T + b).T`` (k, n)."""
        out = W @ X.T
        return out if b is None else out + b[:, None]

    def softmax_jvp(self, P, dZ, weights):
        """``w_i * p_i * (dz_i - <p_i, dz_i>)`` per sample, as a new array."""
        return (dZ - self.xp.sum(P * dZ, axis=0)) * P * weights

    def expit_weighted(self, z, weights, out):
        """``sigmoid(z) * weights`` as a (1, n) array."""
        return self.xp.reshape(_expit(z, xp=self.xp) * weights, (1, -1))

    def labels(self, y, n_classes, weights, binary):
        """Encode labels `y` on the device; see :class:`Labels`."""
        xp = self.xp
        y = xp.asarray(move_to(y, xp=xp, device=self.device), dtype=xp.int64)
        n_samples = y.shape[0]
        classes = xp.arange(n_classes, device=self.device)
        # diag(w) Y, class-major, free classes only: the gradient's constant part.
        weighted = xp.astype(y[None, :] == classes[:, None], self.data_dtype) * weights
        weighted = weighted[n_classes - (1 if binary else n_classes) :, :]
        if binary:
            return Labels(y, None, xp.astype(y == 1, self.data_dtype), weighted)
        flat = y * n_samples + xp.arange(n_samples, device=self.device)
        return Labels(y, flat, None, weighted)

    def subtract_labels(self, G, labels, weights):
        """Return ``G - diag(w) Y`` for class-major `G` (free classes)."""
        return G - labels.weighted

    def label_products(self, X, labels, weights, n_classes, k):
        """``(diag(w) Y) @ X`` (k, d) for the free classes, on the device."""
        return labels.weighted @ X

    def pack_gradient(self, layout, G, X, minus=None):
        """:meth:`NumpyOps.pack_gradient` by concatenation (no views to write)."""
        xp = self.xp
        gW = G @ X
        if minus is not None:
            gW = gW - minus[0]
        parts = [xp.reshape(gW, (-1,))]
        if layout.fit_intercept:
            gb = xp.sum(G, axis=1)
            parts.append(gb - minus[1] if minus is not None else gb)
        return xp.concat(parts)


def array_ops(X):
    """Return the operations for data `X`: chosen once, by `X`'s array library."""
    if sp.issparse(X):
        return NumpyOps(X.dtype)
    xp, is_array_api, device = get_namespace_and_device(X)
    if not is_array_api or _is_numpy_namespace(xp):
        return NumpyOps(X.dtype)
    dtype = np.dtype(np.float32 if X.dtype == xp.float32 else np.float64)
    return ArrayAPIOps(xp, device, dtype, X.dtype)
