"""The pointwise softmax cross-entropy, in raw-prediction (logit) space.

It knows class-major logits ``Z`` of shape (k, n) (``k = K`` free classes, or
1 for two classes with ``Z = [0, z]``), encoded labels and normalised sample
weights ``w``; nothing about ``X`` or the coefficients. For sample ``i``::

    CE_i   = logsumexp(Z_i) - Z_{i, y_i}
    dCE_i  = p_i - y_i                               the softmax Jacobian
                                                     J_i = diag(p_i) - p_i p_i^T
                                                     collapsed, p_i = softmax(Z_i)
    J_i v  = p_i * (v - <p_i, v>)                    a Jacobian-vector product,
                                                     never the K x K matrix

For two classes ``CE_i = log(1 + e^z) - y1 z``, ``dCE_i = sigmoid(z) - y1``
and the product is ``sigmoid(z) (1 - sigmoid(z)) v``. The array operations
come from :mod:`sk_softmax._objective._ops`; on numpy they write into buffers.
"""

from sk_softmax.utils._sklearn_compat import _expit


class SoftmaxCrossEntropy:
    """Weighted mean softmax cross-entropy of class-major logits.

    Parameters
    ----------
    ops : NumpyOps or ArrayAPIOps
        The array operations of the data's library.
    labels : Labels
        The encoded labels (see :meth:`NumpyOps.labels`).
    weights : array of shape (n_samples,)
        Normalised sample weights in the data's library and dtype.
    weights64 : ndarray of shape (n_samples,)
        The same weights in float64 on the host, for reductions there.
    binary : bool
        Whether there are two classes (one free logit).
    """

    def __init__(self, ops, labels, weights, weights64, binary):
        self.ops = ops
        self.labels = labels
        self.weights = weights
        self.weights64 = weights64
        self.binary = binary
        self._P = self._norm = None

    def value(self, raw, shift=True):
        """Return the loss; keep ``exp(Z - shift)`` and its sum over classes.

        `shift` subtracts the per-sample maximum logit before ``exp``; the
        caller may drop it when it knows that no exponential can overflow or
        underflow, which saves two passes over the logits.
        """
        ops = self.ops
        if self.binary:
            z = raw[0, :]
            terms = ops.call("logaddexp", ops.call("zeros_like", z), z)
            terms = ops.call("subtract", terms, self.labels.y1 * z, out=terms)
            return ops.weighted_sum(self.weights64, self.weights, terms)
        shape = raw.shape
        P = ops.buffer("P", shape)
        norm = ops.buffer("norm", shape[1:])
        if shift:
            m = ops.call("max", raw, axis=0, out=ops.buffer("max", shape[1:]))
            P = ops.call("subtract", raw, m, out=P)
            z_y = ops.take(P, self.labels.flat)
            P = ops.call("exp", P, out=P)
        else:
            z_y = ops.take(raw, self.labels.flat)
            P = ops.call("exp", raw, out=P)
        norm = ops.call("sum", P, axis=0, out=norm)
        terms = ops.call("log", norm) - z_y
        self._P, self._norm = P, norm
        return ops.weighted_sum(self.weights64, self.weights, terms)

    def value_gradient(self, raw, out, shift=True, with_labels=True):
        """Return the loss and ``diag(w) (P - Y)`` (k, n), written into `out`.

        Without `with_labels`, the constant part ``-diag(w) Y`` is left out:
        ``diag(w) P``, for a caller that subtracts its products once for all.
        """
        ops = self.ops
        loss = self.value(raw, shift)
        if self.binary:
            out = ops.expit_weighted(raw[0, :], self.weights, out)
        else:
            scale = ops.call(
                "divide",
                self.weights,
                self._norm,
                out=ops.buffer("scale", self._norm.shape),
            )
            out = ops.call("multiply", self._P, scale, out=out)
        if with_labels:
            out = ops.subtract_labels(out, self.labels, self.weights)
        return loss, out

    def curvature(self, raw, weights, rows=None):
        """Return what :meth:`jvp` needs at the logits of the last evaluation.

        For two classes the weighted Hessian weights ``p (1 - p) w``;
        otherwise the probabilities ``P`` (normalised in place from the kept
        ``exp``). Only the samples `rows` when given, with `weights` theirs.
        Call after :meth:`value` at `raw`.
        """
        ops = self.ops
        if self.binary:
            z = raw[0, :] if rows is None else raw[0, rows]
            p = _expit(z, xp=ops.xp)
            return p * (1 - p) * weights
        P = ops.call("divide", self._P, self._norm, out=ops.buffer("P", self._P.shape))
        return P if rows is None else P[:, rows]

    def jvp(self, curvature, dZ, weights):
        """``diag(w) J dZ`` per sample, for class-major directions `dZ` (k, n).

        Written into `dZ` on numpy. `curvature` is what :meth:`curvature`
        returned with the same (possibly subsampled) normalised `weights`.
        """
        if self.binary:
            return self.ops.call("multiply", dZ, curvature, out=dZ)
        return self.ops.softmax_jvp(curvature, dZ, weights)
