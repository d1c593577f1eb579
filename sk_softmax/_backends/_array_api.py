"""The array API backend: the data stay in their namespace and on their device.

With ``sklearn.set_config(array_api_dispatch=True)``, ``X`` from torch, CuPy
or array-api-strict is fitted where it lives: one
:class:`~sk_softmax._objective._linear.LinearCrossEntropy` computes logits,
values, gradients and Hessian-vector products with the input's namespace on
its device. :class:`DeviceChunk` hands the solvers, which run on the host,
the coefficients' side of it only -- coefficients go to the device; values,
gradients and products (all of the coefficients' size) come back -- as the
one chunk of a :class:`~sk_softmax._backends._remote.RemoteCrossEntropy`, so
every full-batch solver runs unchanged.
"""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from sk_softmax._backends._common import (
    attribute_maker,
    class_weights_of,
    penalty_of,
    require_two_classes,
    require_weight,
)
from sk_softmax._backends._kinds import to_host
from sk_softmax._backends._problem import Problem
from sk_softmax._backends._remote import ChunkPool, RemoteCrossEntropy
from sk_softmax._layout import CoefficientLayout
from sk_softmax._objective import LinearCrossEntropy, PenalizedObjective
from sk_softmax._weights import check_sample_weight
from sk_softmax.utils._sklearn_compat import get_namespace_and_device, move_to


class DeviceChunk:
    """A device-resident cross-entropy seen from the host, as one chunk.

    Parameters
    ----------
    data : LinearCrossEntropy
        The cross-entropy on the device's data.
    """

    def __init__(self, data):
        self.data = data
        self._hessp = None

    def _to_device(self, coef):
        ops = self.data.ops
        return ops.xp.asarray(
            np.asarray(coef, dtype=ops.dtype), dtype=ops.data_dtype, device=ops.device
        )

    def _to_host(self, a):
        return to_host(a, self.data.ops.dtype)

    def data_curvature(self):
        """Return the cross-entropy's curvature bound."""
        return self.data.data_curvature()

    def value(self, coef):
        """Return the cross-entropy at host coefficients `coef`."""
        return self.data.value(self._to_device(coef))

    def value_gradient(self, coef):
        """Return the cross-entropy and its gradient (on the host) at `coef`."""
        value, grad = self.data.value_gradient(self._to_device(coef))
        return value, self._to_host(grad)

    def gradient_hessian(self, coef):
        """Return value and gradient; keep the Hessian at `coef` for :meth:`hessp`."""
        value, grad, self._hessp = self.data.gradient_hessian_product(
            self._to_device(coef)
        )
        return value, self._to_host(grad)

    def hessp(self, v):
        """Return the product of the kept Hessian with the host vector `v`."""
        return self._to_host(self._hessp(self._to_device(v)))

    def sample_hessian_share(self, rate, min_rate, seed):
        """Keep the full Hessian: on an accelerator a full product is cheap."""


def build_problem(estimator, X, y, sample_weight):
    """Validate an array API input on its device; return its :class:`Problem`.

    The fitted ``coef_`` and ``intercept_`` will live on the input's device.
    """
    xp, _, device = get_namespace_and_device(X)
    X, y = validate_data(
        estimator, X, y, dtype=[xp.float64, xp.float32], ensure_min_samples=2
    )
    y = move_to(y, xp=xp, device=device)
    check_classification_targets(y)
    classes, y_encoded = xp.unique_inverse(y)
    classes_host = to_host(classes)
    require_two_classes(classes_host)
    raw_weight = sample_weight
    if sample_weight is not None:
        sample_weight = move_to(sample_weight, xp=xp, device=device)
    sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
    totals = np.bincount(
        to_host(y_encoded), weights=to_host(sample_weight), minlength=len(classes_host)
    )
    class_weights = class_weights_of(estimator, classes_host, totals)
    class_weights_xp = xp.asarray(class_weights, dtype=X.dtype, device=device)
    sample_weight = sample_weight * xp.take(class_weights_xp, y_encoded)
    require_weight(bool(xp.any(sample_weight > 0)))
    data = LinearCrossEntropy(
        X,
        y_encoded,
        len(classes_host),
        sample_weight=sample_weight,
        fit_intercept=estimator.fit_intercept,
    )
    dtype = data.ops.dtype
    layout = CoefficientLayout(
        X.shape[1], len(classes_host), estimator.fit_intercept, dtype
    )
    remote = RemoteCrossEntropy(
        ChunkPool([DeviceChunk(data)], remote=False),
        [1.0],
        totals * class_weights,
        X.shape[0],
        layout,
    )
    return Problem(
        objective=PenalizedObjective(remote, penalty_of(estimator)),
        classes=classes,
        class_totals=totals,
        n_features=X.shape[1],
        feature_names=getattr(estimator, "feature_names_in_", None),
        sparse=False,
        attributes=attribute_maker(
            classes,
            X.shape[1],
            estimator.fit_intercept,
            dtype,
            place=lambda a: xp.asarray(a, device=device),
        ),
        data=None,
        report=(X, y, raw_weight),
        kind="array-api",
    )
