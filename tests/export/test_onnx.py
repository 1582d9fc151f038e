"""ONNX export: parity with the estimator where only onnxruntime is importable."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest

from sk_mcdropout import MCDropoutClassifier
from sk_mcdropout.export import to_onnx

# Everything an exported model may contain: no random operation, and no
# Dropout (an identity in ONNX unless a training flag is fed).
DETERMINISTIC_OPS = {
    "Add", "And", "ArgMax", "Cast", "Concat", "Div", "Equal", "Gather",
    "GatherElements", "Greater", "Identity", "Log", "MatMul", "Max", "Mul",
    "Neg", "Or", "ReduceMax", "ReduceMean", "ReduceSum", "Relu", "Sigmoid",
    "Slice", "Softmax", "Softplus", "Sqrt", "Squeeze", "Sub", "Tanh",
    "Unsqueeze", "Where",
    # skl2onnx's preprocessing
    "ArrayFeatureExtractor", "CastMap", "ConstantOfShape", "Imputer",
    "LabelEncoder", "OneHotEncoder", "Reshape", "Scaler", "Shape", "Transpose",
}  # fmt: skip

# Run in a fresh interpreter in which TensorFlow, Keras and this library
# cannot be imported: what a serving process without them sees.
RUNNER = textwrap.dedent(
    """
    import sys
    for name in ("tensorflow", "keras", "sk_mcdropout", "scikeras"):
        sys.modules[name] = None
    import json
    import numpy as np
    import onnxruntime as ort

    model, inputs, outputs = sys.argv[1:4]
    feeds = dict(np.load(inputs))
    feeds = {k: v.astype(object) if v.dtype.kind == "U" else v
             for k, v in feeds.items()}
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(None, feeds)
    np.savez(outputs, **{n: np.asarray(v, dtype=str) if v.dtype == object else v
                        for n, v in zip(names, values)})
    print(json.dumps(names))
    """
)


def _run_isolated(tmp_path, proto, feeds):
    model = tmp_path / "model.onnx"
    model.write_bytes(proto.SerializeToString())
    np.savez(tmp_path / "inputs.npz", **feeds)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            str(model),
            str(tmp_path / "inputs.npz"),
            str(tmp_path / "outputs.npz"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    names = json.loads(result.stdout.strip().splitlines()[-1])
    outputs = np.load(tmp_path / "outputs.npz")
    return {name: outputs[name] for name in names}


def _op_types(proto):
    return {node.op_type for node in proto.graph.node}


def test_classifier_pipeline_in_onnxruntime_alone(
    credit_pipeline, frames, make_feeds, tmp_path
):
    _, new = frames
    proto = to_onnx(credit_pipeline, new)
    assert [i.name for i in proto.graph.input] == list(new.columns)
    assert _op_types(proto) <= DETERMINISTIC_OPS
    out = _run_isolated(tmp_path, proto, make_feeds(new))
    assert list(out) == [
        "label",
        "probabilities",
        "std",
        "entropy",
        "mutual_information",
    ]
    proba = credit_pipeline.predict_proba(new)
    np.testing.assert_allclose(out["probabilities"], proba, rtol=0, atol=1e-5)
    std = credit_pipeline[-1].predict_uncertainty(credit_pipeline[:-1].transform(new))
    np.testing.assert_allclose(out["std"], std, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(out["label"], credit_pipeline.predict(new))
    # The passes differ: the std is the MC spread, not zero.
    assert out["std"].max() > 1e-3


def test_regressor_pipeline_in_onnxruntime_alone(
    balance_pipeline, frames, make_feeds, tmp_path
):
    _, new = frames
    proto = to_onnx(balance_pipeline, new)
    assert _op_types(proto) <= DETERMINISTIC_OPS
    out = _run_isolated(tmp_path, proto, make_feeds(new))
    assert list(out) == ["mean", "std"]
    mean, std = balance_pipeline.predict(new, return_std=True)
    np.testing.assert_allclose(out["mean"][:, 0], mean, rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["std"][:, 0], std, rtol=0, atol=1e-5)


def test_reject_option_in_onnxruntime_alone(
    credit_reject, frames, make_feeds, tmp_path
):
    train, new = frames
    rows = train.iloc[:300]
    proto = to_onnx(credit_reject, rows)
    out = _run_isolated(tmp_path, proto, make_feeds(rows))
    assert list(out)[-2:] == ["rejected", "reason"]
    reason = credit_reject.reject(rows, return_reason=True)
    # Rows whose measure is within 1e-6 of a threshold may fall either way;
    # the training rows include the rows the thresholds were read from.
    X = credit_reject.estimator_.estimator[:-1].transform(rows)
    mc = credit_reject.estimator_.estimator[-1]
    from sk_mcdropout.uncertainty import mutual_information, predictive_entropy

    samples = mc.predict_proba_samples(X).astype(np.float64)
    near = (np.abs(predictive_entropy(samples) - credit_reject.threshold_) < 1e-6) | (
        np.abs(mutual_information(samples) - credit_reject.novelty_threshold_) < 1e-6
    )
    assert near.sum() < 5
    np.testing.assert_array_equal(out["rejected"][~near], (reason != "accepted")[~near])
    np.testing.assert_array_equal(out["reason"][~near], reason[~near])
    np.testing.assert_array_equal(
        out["label"][~near], credit_reject.predict(rows)[~near]
    )
    assert {"accepted", "ambiguous", "novel"} <= set(out["reason"].tolist())


def test_bare_estimator_from_an_array(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(8,), epochs=2).fit(X, y)
    proto = to_onnx(clf, X[:3])
    assert [i.name for i in proto.graph.input] == ["X"]
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["n_samples"]) == clf.n_samples
    assert json.loads(meta["mc_seed"]) == clf.mc_seed_
    assert json.loads(meta["classes"]) == clf.classes_.tolist()


def test_masks_fold_into_kernels_within_the_size_limit(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(16, 16), epochs=1).fit(X, y)
    folded = to_onnx(clf, X[:1])
    unfolded = to_onnx(clf, X[:1], max_fold_mb=0)
    # Folded: one masked kernel per pass; unfolded: the kernels and masks.
    assert folded.ByteSize() > unfolded.ByteSize()
    import onnxruntime as ort

    outputs = []
    for proto in (folded, unfolded):
        session = ort.InferenceSession(
            proto.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        outputs.append(session.run(["probabilities"], {"X": X})[0])
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=0, atol=1e-6)


def test_untranslatable_layer_is_named(binary_data):
    import keras

    X, y = binary_data
    inputs = keras.Input((X.shape[1],))
    hidden = keras.layers.LayerNormalization(name="norm")(keras.layers.Dense(8)(inputs))
    hidden = keras.layers.Dropout(0.2)(hidden)
    outputs = keras.layers.Dense(2, activation="softmax")(hidden)
    clf = MCDropoutClassifier.from_keras(
        keras.Model(inputs, outputs), classes=[0, 1], n_samples=5, random_state=0
    )
    with pytest.raises(ValueError, match="Cannot export layer 'norm' \\(LayerNormal"):
        to_onnx(clf, X[:1])


def test_refuses_other_estimators(binary_data):
    from sklearn.linear_model import LogisticRegression

    X, y = binary_data
    with pytest.raises(TypeError, match="got LogisticRegression"):
        to_onnx(LogisticRegression().fit(X, y), X[:1])


def test_refuses_a_reject_option_predicting_with_fold_models(binary_data):
    from sk_mcdropout import RejectOptionClassifier

    X, y = binary_data
    network = MCDropoutClassifier(
        hidden_layer_sizes=(4,), epochs=1, n_samples=5, random_state=0
    )
    reject = RejectOptionClassifier(network, coverage=0.8, cv=2).fit(X, y)
    with pytest.raises(ValueError, match="predicts with its 2 fold model.*refit=True"):
        to_onnx(reject, X[:1])


def test_written_file_loads(binary_clf, binary_data, tmp_path):
    X, _ = binary_data
    path = tmp_path / "clf.onnx"
    path.write_bytes(b"previous")
    proto = to_onnx(binary_clf, X[:1], path=path)
    assert onnx.load(str(path)) == proto
    assert [p.name for p in tmp_path.iterdir()] == ["clf.onnx"]
