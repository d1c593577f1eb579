"""sk_softmax: softmax (multinomial logistic) regression for scikit-learn.

The public API: the SoftMax maths (:func:`softmax`, :func:`log_softmax`,
:func:`softmax_jacobian`, :func:`softmax_jvp`, :func:`argmax`, :func:`hardmax`),
the estimator :class:`SoftmaxClassifier`, its training curves
(:class:`TrainingCurveDisplay`), the choice of the penalty along
regularisation paths (:func:`softmax_path`, :class:`SoftmaxClassifierCV`,
:class:`RegularizationPathDisplay`), pandas views of its results
(:func:`coef_frame`, :func:`proba_frame`), statistical inference on its
coefficients (:func:`inference`, :class:`InferenceResult`) and secure loading
(:func:`load_skops`, :data:`TRUSTED_TYPES`). ``import sk_softmax.onnx``
registers the ONNX converter.
"""

from sk_softmax._classifier import SoftmaxClassifier
from sk_softmax._classifier_cv import SoftmaxClassifierCV
from sk_softmax._display import TrainingCurveDisplay
from sk_softmax._frames import coef_frame, proba_frame
from sk_softmax._inference import inference
from sk_softmax._inference_result import InferenceResult
from sk_softmax._path import softmax_path
from sk_softmax._path_display import RegularizationPathDisplay
from sk_softmax._persistence import TRUSTED_TYPES, load_skops
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
    "TRUSTED_TYPES",
    "InferenceResult",
    "RegularizationPathDisplay",
    "SoftmaxClassifier",
    "SoftmaxClassifierCV",
    "TrainingCurveDisplay",
    "__version__",
    "argmax",
    "coef_frame",
    "hardmax",
    "inference",
    "load_skops",
    "log_softmax",
    "proba_frame",
    "softmax",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_path",
]
