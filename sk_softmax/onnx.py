"""ONNX export of :class:`~sk_softmax.SoftmaxClassifier` through skl2onnx.

Importing this module registers a converter for :class:`SoftmaxClassifier`
with `skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so that the estimator,
alone or inside a :class:`~sklearn.pipeline.Pipeline`, converts with
:func:`skl2onnx.to_onnx` or :func:`skl2onnx.convert_sklearn`. It needs the
optional dependencies: ``pip install ".[onnx]"`` in a checkout of sk_softmax.

The graph is ``MatMul -> Add -> Softmax -> ArgMax`` followed by a lookup of
the class labels: the same full logits as :meth:`SoftmaxClassifier.predict`
and :meth:`SoftmaxClassifier.predict_proba`. For two classes a zero logit is
prepended for ``classes_[0]``, so the probabilities are exactly
``[1 - sigmoid(z), sigmoid(z)]``. As for every skl2onnx classifier, the
outputs are the labels and the probabilities, by default as a list of
dictionaries (ZipMap); the option ``{"zipmap": False}`` gives a tensor of
shape (n_samples, n_classes) instead.

Examples
--------
>>> import numpy as np
>>> import sk_softmax.onnx  # registers the converter
>>> from skl2onnx import to_onnx
>>> from sk_softmax import SoftmaxClassifier
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
>>> clf = SoftmaxClassifier().fit(X, ["no", "no", "yes", "yes"])
>>> onx = to_onnx(clf, X, options={id(clf): {"zipmap": False}})
>>> sorted(node.op_type for node in onx.graph.node)
['Add', 'ArgMax', 'Gather', 'MatMul', 'Softmax']

Run it with onnxruntime, for instance
``onnxruntime.InferenceSession(onx.SerializeToString()).run(None, {"X": X})``,
which returns the labels and the probabilities.
"""

import numpy as np

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import check_input_and_output_numbers
    from skl2onnx.common.utils_classifier import get_label_classes
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        'sk_softmax.onnx needs skl2onnx and onnx: install the "onnx" extra with '
        '`pip install ".[onnx]"` in a checkout of sk_softmax, as its README '
        "does, or `pip install skl2onnx onnx onnxruntime`."
    ) from exc

from sk_softmax._classifier import SoftmaxClassifier

__all__: list[str] = []


def _labels(scope, model):
    """Return the class labels as int64 or bytes, with their ONNX type."""
    classes = np.asarray(get_label_classes(scope, model))
    if classes.dtype.kind in "biuf":
        labels = classes.astype(np.int64)
        if np.any(labels != classes):
            raise RuntimeError(
                "ONNX class labels must be integers or strings, got "
                f"{classes.tolist()}."
            )
        return labels, TensorProto.INT64
    return np.array([str(c).encode("utf-8") for c in classes]), TensorProto.STRING


def _shape_calculator(operator):
    """Set the types of the label and probability outputs."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    n = operator.inputs[0].get_first_dimension()
    n_classes = len(operator.raw_operator.classes_)
    _, label_type = _labels(operator.scope_inst, operator.raw_operator)
    label = Int64TensorType if label_type == TensorProto.INT64 else StringTensorType
    proba = (
        DoubleTensorType
        if isinstance(operator.inputs[0].type, DoubleTensorType)
        else FloatTensorType
    )
    operator.outputs[0].type = label([n])
    operator.outputs[1].type = proba([n, n_classes])


def _converter(scope, operator, container):
    """Write ``MatMul -> Add -> Softmax -> ArgMax -> Gather(labels)``."""
    model = operator.raw_operator
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    dtype, proto = (
        (np.float64, TensorProto.DOUBLE) if double else (np.float32, TensorProto.FLOAT)
    )

    def constant(name, value, proto):
        name = scope.get_unique_variable_name(name)
        container.add_initializer(name, proto, list(value.shape), value.ravel())
        return name

    def node(op_type, inputs, output, **attrs):
        if not isinstance(output, str):  # an output variable of the operator
            output = output.full_name
        else:
            output = scope.get_unique_variable_name(output)
        name = scope.get_unique_operator_name(op_type)
        container.add_node(op_type, inputs, [output], name=name, **attrs)
        return output

    X = operator.inputs[0].full_name
    if not double and not isinstance(operator.inputs[0].type, FloatTensorType):
        X = node("Cast", [X], "cast", to=proto)
    coef = np.asarray(model.coef_, dtype=dtype).T
    intercept = np.asarray(model.intercept_, dtype=dtype)
    if len(model.classes_) == 2:  # classes_[0] is the reference class: logit 0
        coef = np.hstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros_like(intercept), intercept])
    labels, label_proto = _labels(scope, model)
    label, proba = operator.outputs

    product = node("MatMul", [X, constant("coef", coef, proto)], "product")
    logits = node("Add", [product, constant("intercept", intercept, proto)], "logits")
    node("Softmax", [logits], proba, axis=1)
    index = node("ArgMax", [logits], "index", axis=1, keepdims=0)
    node("Gather", [constant("classes", labels, label_proto), index], label, axis=0)


update_registered_converter(
    SoftmaxClassifier,
    "SkSoftmaxSoftmaxClassifier",
    _shape_calculator,
    _converter,
    options={
        "zipmap": [True, False, "columns"],
        "nocl": [True, False],
        "output_class_labels": [False, True],
    },
)
