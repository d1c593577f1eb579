"""sk_softmax: softmax (multinomial logistic) regression for scikit-learn.

The public API: the SoftMax maths (:func:`softmax`, :func:`log_softmax`,
:func:`softmax_jacobian`, :func:`softmax_jvp`, :func:`argmax`, :func:`hardmax`)
and the estimator :class:`SoftmaxClassifier`.
"""

from sk_softmax._classifier import SoftmaxClassifier
from sk_softmax._softmax import (
    argmax,
    hardmax,
    log_softmax,
    softmax,
    softmax_jacobian,
    softmax_jvp,
)

__version__ = "0.1.0"

__all__ = [
    "SoftmaxClassifier",
    "__version__",
    "argmax",
    "hardmax",
    "log_softmax",
    "softmax",
    "softmax_jacobian",
    "softmax_jvp",
]
