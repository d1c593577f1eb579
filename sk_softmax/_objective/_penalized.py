"""The objective every solver minimises: a data term plus the elastic-net penalty.

    F(W, b) = CE(W, b) + l2 / 2 * ||W||_F^2 + l1 * ||W||_1

The data term ``CE`` is the weighted mean cross-entropy, computed by one of
three implementations with the same interface: on one array
(:class:`~sk_softmax._objective._linear.LinearCrossEntropy`), on an array API
device, or reduced over the chunks of a dask array. This class adds the
penalty to any of them, in this one place: its smooth part to values,
gradients and Hessian-vector products, its L1 part through
:meth:`PenalizedObjective.prox` and :meth:`PenalizedObjective.nonsmooth_value`
for the proximal solvers. It works on the host, in numpy, on the flat
coefficients of :mod:`sk_softmax._layout`.

A data term provides ``layout``, ``n_samples``, ``class_totals``, ``raw``,
``value``, ``value_gradient``, ``gradient_hessian_product``,
``data_curvature`` and ``evaluation_point`` (see
``docs/developer/architecture.rst``).
"""

import numpy as np

from sk_softmax._objective._linear import LinearCrossEntropy
from sk_softmax._penalty import ElasticNet


class PenalizedObjective:
    """A data term plus the elastic-net penalty on the weights.

    Parameters
    ----------
    data : data term
        The cross-entropy (see the module docstring).
    penalty : ElasticNet, default=None
        The penalty; ``None`` means none.
    """

    def __init__(self, data, penalty=None):
        self.data = data
        self.penalty = ElasticNet() if penalty is None else penalty
        self.layout = data.layout
        self.n_dof = data.layout.n_dof
        self.dtype = data.layout.dtype

    @property
    def n_samples(self):
        """Number of samples of the data term."""
        return self.data.n_samples

    def pack(self, W, b=None):
        """Flat coefficients from ``W`` and ``b`` (see :class:`CoefficientLayout`)."""
        return self.layout.pack(W, b)

    def unpack(self, coef):
        """Return views ``(W, b)`` of flat coefficients."""
        return self.layout.unpack(coef)

    def raw(self, coef, out=None):
        """Return the data term's linear map of `coef` (logits, for one array)."""
        return self.data.raw(coef, out)

    def _weights(self, coef, raw):
        """``W`` at the point the data term evaluates (see the module docstring)."""
        return self.layout.unpack(self.data.evaluation_point(coef, raw))[0]

    def _add_l2(self, grad, W):
        """Add the smooth penalty's gradient ``l2 * W`` to `grad`'s weights."""
        if self.penalty.l2:
            self.layout.unpack(grad)[0][...] += self.penalty.l2 * W
        return grad

    def value(self, coef, raw=None):
        """Smooth objective: cross-entropy plus ``l2 / 2 * ||W||^2``.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        raw : array, default=None
            ``self.raw(coef)`` if already known.

        Returns
        -------
        value : float
        """
        loss = self.data.value(coef, raw)
        return loss + self.penalty.smooth_value(self._weights(coef, raw))

    def value_gradient(self, coef, raw=None):
        """Fused smooth objective and its gradient, of shape (n_dof,)."""
        loss, grad = self.data.value_gradient(coef, raw)
        W = self._weights(coef, raw)
        grad = self._add_l2(grad, W)
        return loss + self.penalty.smooth_value(W), grad

    def gradient_hessian_product(self, coef, raw=None):
        """Smooth objective, gradient and a Hessian-vector product function.

        ``hessp(v)`` is valid until the next call of any method of this object.
        """
        loss, grad, data_hessp = self.data.gradient_hessian_product(coef, raw)
        W = self._weights(coef, raw)
        grad = self._add_l2(grad, W)

        def hessp(v):
            product = data_hessp(v)
            V = self.layout.unpack(np.asarray(v, dtype=self.dtype))[0]
            return self._add_l2(product, V)

        return loss + self.penalty.smooth_value(W), grad, hessp

    def working_set_model(self, coef, raw, columns):
        """Logit map and Hessian-vector product restricted to the features `columns`.

        The data term's :meth:`LinearCrossEntropy.working_set_model
        <sk_softmax._objective.LinearCrossEntropy.working_set_model>` with the
        smooth penalty's curvature ``l2`` added to the product's and the
        diagonal's weights. Returns ``(layout, logits, hessp, diagonal)``.
        """
        layout, logits, data_hessp, diagonal = self.data.working_set_model(
            coef, raw, columns
        )
        layout.unpack(diagonal)[0][...] += self.penalty.l2

        def hessp(v):
            product = data_hessp(v)
            if self.penalty.l2:
                V = layout.unpack(np.asarray(v, dtype=self.dtype))[0]
                layout.unpack(product)[0][...] += self.penalty.l2 * V
            return product

        return layout, logits, hessp, diagonal

    def prox(self, coef, step):
        """Proximal step of the penalty's L1 part on the weights (not the intercept).

        ``step`` is a float, or an array of shape (n_dof,) of per-coefficient
        steps (a diagonal metric, as in Adam).
        """
        out = np.array(coef, copy=True)
        W = self.layout.unpack(out)[0]
        if np.ndim(step):
            step = self.layout.unpack(np.asarray(step))[0]
        W[...] = self.penalty.prox(W, step)
        return out

    def nonsmooth_value(self, coef):
        """Value of the penalty's L1 part, ``l1 * ||W||_1``."""
        return self.penalty.nonsmooth_value(self.layout.unpack(coef)[0])

    def initial_step(self):
        """Reciprocal of an upper bound on the smooth part's Lipschitz constant."""
        bound = self.data.data_curvature() + self.penalty.l2
        return 1.0 / bound if bound > 0 else 1.0

    def intercept_only_coef(self):
        """Return the start point: zero weights, the intercept at its optimum."""
        return self.layout.intercept_only_coef(self.data.class_totals)


class LinearSoftmaxLoss(PenalizedObjective):
    """The penalised softmax regression objective on one array ``X``.

    :class:`~sk_softmax._objective._linear.LinearCrossEntropy` on the data
    plus the penalty.

    Parameters
    ----------
    X : {ndarray, sparse matrix, array API array} of shape (n_samples, n_features)
        Training data, float32 or float64.
    y : array of shape (n_samples,)
        Encoded labels, integers in ``[0, n_classes)``.
    n_classes : int
        Number of classes ``K >= 2``.
    sample_weight : array of shape (n_samples,), default=None
        Non-negative weights with a positive sum; ``None`` means unit weights.
    fit_intercept : bool, default=True
        Whether the model has an (unpenalised) intercept.
    penalty : ElasticNet, default=None
        The penalty; ``None`` means none.
    reuse : bool, default=True
        See :class:`~sk_softmax._objective._linear.LinearCrossEntropy`.
    """

    def __init__(
        self,
        X,
        y,
        n_classes,
        sample_weight=None,
        fit_intercept=True,
        penalty=None,
        reuse=True,
    ):
        data = LinearCrossEntropy(X, y, n_classes, sample_weight, fit_intercept, reuse)
        super().__init__(data, penalty)
