"""ONNX: the exported graph written with onnx.helper, and skl2onnx's converters.

skl2onnx converts a Pipeline step by step with its own converters; the
converters registered here write the Monte Carlo ensemble (and a reject
option's rule) for the estimators of this library, with fixed output names.
"""

import json

import numpy as np

from ..neural_network import MCDropoutClassifier, MCDropoutRegressor
from ..reject import RejectOptionClassifier, RejectOptionRegressor
from ._spec import Head, final_parts

# Opset 13 is the first where every operation used takes its axes as written
# here (ReduceSum, Squeeze and Unsqueeze as inputs) and Softmax normalises one
# axis; ReduceMean and ReduceMax take theirs as inputs from opset 18.
MIN_OPSET = 13
# Inputs (not attributes) of these operations from the given opset.
_AXES_AS_INPUT = {
    "ReduceSum": 13,
    "Squeeze": 13,
    "Unsqueeze": 13,
    "ReduceMean": 18,
    "ReduceMax": 18,
}


def _require():
    try:
        import onnx
        import skl2onnx
    except ImportError:
        raise ImportError(
            "Export to ONNX needs onnx and skl2onnx (and onnxruntime to run the "
            "model): pip install 'sk-mcdropout[export]'."
        ) from None
    return onnx, skl2onnx


def _tensor_type(dtype, shape):
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        Int64TensorType,
        StringTensorType,
    )

    if np.dtype(dtype).kind == "O":
        return StringTensorType(shape)
    return {
        "float64": DoubleTensorType,
        "int64": Int64TensorType,
        "bool": BooleanTensorType,
    }[np.dtype(dtype).name](shape)


def _output_types(head):
    """skl2onnx types of the head's outputs, in order."""
    if head.is_classifier:
        n_classes = len(head.estimator.classes_)
        types = {
            "label": _tensor_type(head.label_values().dtype, [None]),
            "probabilities": _tensor_type("float64", [None, n_classes]),
            "std": _tensor_type("float64", [None, n_classes]),
            "entropy": _tensor_type("float64", [None]),
            "mutual_information": _tensor_type("float64", [None]),
            "rejected": _tensor_type("bool", [None]),
            "reason": _tensor_type(object, [None]),
        }
    else:
        k = int(head.estimator.n_outputs_)
        types = {
            "mean": _tensor_type("float64", [None, k]),
            "std": _tensor_type("float64", [None, k]),
            "rejected": _tensor_type("bool", [None]),
        }
    return [(name, types[name]) for name in head.output_names]


def _head(model):
    """The Head of a registered estimator (a reject option's inner one)."""
    if isinstance(model, Head):
        return model
    steps, head = final_parts(model)
    if steps:
        raise TypeError(
            f"The estimator of this {type(model).__name__} is a Pipeline; "
            "export the reject option with sk_mcdropout.export.to_onnx, which "
            "writes its preprocessing steps too."
        )
    return head


def _parser(scope, model, inputs, custom_parsers=None):
    head = _head(model)
    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    for name, tensor_type in _output_types(head):
        operator.outputs.append(scope.declare_local_variable(name, tensor_type))
    return operator.outputs


def _shape_calculator(operator):
    # The parser declared every output with its type and shape.
    return None


def write_nodes(g, outputs, x, add_node, add_initializer, unique, opset):
    """Write the graph's nodes reading the float32 input ``x``.

    ``add_node(op_type, inputs, outputs, **attributes)`` and
    ``add_initializer(name, array)`` write into the ONNX graph; ``unique``
    gives a fresh name for a prefix. Returns the ONNX names of ``outputs``.
    """
    names = {"X": x}
    for name, array in g.constants.items():
        names[name] = unique("mc_const")
        add_initializer(names[name], array)
    from onnx import TensorProto

    casts = {
        "float64": TensorProto.DOUBLE,
        "float32": TensorProto.FLOAT,
        "int64": TensorProto.INT64,
    }
    for op_type, inputs, attributes, name in g.nodes:
        names[name] = unique(f"mc_{op_type.lower()}")
        ins = [names[i] for i in inputs]
        attributes = dict(attributes)
        if "axes" in attributes and opset >= _AXES_AS_INPUT.get(op_type, 10**9):
            axes = unique("mc_axes")
            add_initializer(axes, np.asarray(attributes.pop("axes"), np.int64))
            ins.append(axes)
        if op_type == "Slice":
            for key in ("starts", "ends", "axes"):
                const = unique(f"mc_{key}")
                add_initializer(const, np.asarray(attributes.pop(key), np.int64))
                ins.append(const)
        if op_type == "Cast":
            attributes["to"] = casts[attributes["to"]]
        add_node(op_type, ins, [names[name]], **attributes)
    return {key: names[value] for key, value in outputs.items()}


def _converter(scope, operator, container):
    from onnx import TensorProto, numpy_helper

    head = _head(operator.raw_operator)
    g, outputs, _ = head.graph()
    opset = container.target_opset
    if opset < MIN_OPSET:
        raise RuntimeError(
            f"Export needs ONNX opset {MIN_OPSET} or later; target_opset={opset}."
        )

    def unique(prefix):
        return scope.get_unique_variable_name(prefix)

    def add_node(op_type, inputs, outputs, **attributes):
        container.add_node(
            op_type,
            inputs,
            outputs,
            name=scope.get_unique_operator_name(f"MC{op_type}"),
            **attributes,
        )

    def add_initializer(name, array):
        array = np.asarray(array)
        if array.dtype.kind in "OU":
            values = [str(v).encode() for v in array.ravel()]
            container.add_initializer(
                name, TensorProto.STRING, list(array.shape), values
            )
            return
        tensor = numpy_helper.from_array(array, name)
        container.add_initializer(name, tensor.data_type, list(array.shape), tensor)

    # The input is cast to float32, as the estimator validates X; several
    # inputs are its columns side by side.
    inputs = []
    for variable in operator.inputs:
        name = variable.full_name
        if variable.type.to_onnx_type().tensor_type.elem_type != TensorProto.FLOAT:
            cast = unique("mc_input")
            add_node("Cast", [name], [cast], to=TensorProto.FLOAT)
            name = cast
        inputs.append(name)
    x = inputs[0]
    if len(inputs) > 1:
        x = unique("mc_input")
        add_node("Concat", inputs, [x], axis=1)
    names = write_nodes(g, outputs, x, add_node, add_initializer, unique, opset)
    for variable, (name, _) in zip(operator.outputs, _output_types(head), strict=True):
        add_node("Identity", [names[name]], [variable.full_name])


_ALIASES = {
    MCDropoutClassifier: "SkMcdropoutMCDropoutClassifier",
    MCDropoutRegressor: "SkMcdropoutMCDropoutRegressor",
    RejectOptionClassifier: "SkMcdropoutRejectOptionClassifier",
    RejectOptionRegressor: "SkMcdropoutRejectOptionRegressor",
    Head: "SkMcdropoutHead",
}


def register_converters():
    """Register this library's estimators with skl2onnx.

    After this, ``skl2onnx.to_onnx`` and ``skl2onnx.convert_sklearn`` convert
    a Pipeline that ends in an :class:`~sk_mcdropout.MCDropoutClassifier`,
    :class:`~sk_mcdropout.MCDropoutRegressor` or a reject option around one,
    with the outputs documented in :func:`to_onnx`. :func:`to_onnx` calls it
    itself. Calling it again does nothing new.

    Examples
    --------
    >>> from sk_mcdropout.export import register_converters
    >>> register_converters()
    """
    _, skl2onnx = _require()
    for cls, alias in _ALIASES.items():
        skl2onnx.update_registered_converter(
            cls, alias, _shape_calculator, _converter, parser=_parser
        )


def convert(steps, head, X_sample, target_opset):
    """The ONNX model of the preprocessing ``steps`` then ``head``, its inputs
    typed after ``X_sample``."""
    onnx, skl2onnx = _require()
    from sklearn.pipeline import Pipeline

    register_converters()
    if hasattr(X_sample, "columns"):
        # Float columns become float32 inputs: ONNX Runtime's Imputer (and
        # others of its ai.onnx.ml operations) take no doubles.
        X_sample = X_sample.iloc[:1].copy()
        for column in X_sample.columns:
            if X_sample[column].dtype.kind == "f":
                X_sample[column] = X_sample[column].astype(np.float32)
    else:
        X_sample = np.asarray(X_sample)
        if X_sample.dtype.kind in "fiub" and (not steps or X_sample.dtype.kind == "f"):
            X_sample = X_sample.astype(np.float32)
    flat = Pipeline([*steps, ("mc_dropout", head)]) if steps else head
    final_types = [(name, None) for name in head.output_names]
    proto = skl2onnx.to_onnx(
        flat, X_sample[:1], target_opset=target_opset, final_types=final_types
    )
    for key, value in head.metadata().items():
        entry = proto.metadata_props.add()
        entry.key = key
        entry.value = value if isinstance(value, str) else json.dumps(value)
    return proto
