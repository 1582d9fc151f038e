"""SavedModel export: served by plain TensorFlow, where this library is absent."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator

from sk_mcdropout import MCDropoutClassifier, RejectOptionClassifier
from sk_mcdropout.export import to_saved_model

RUNNER = textwrap.dedent(
    """
    import sys
    sys.modules["sk_mcdropout"] = None
    sys.modules["scikeras"] = None
    import json
    import numpy as np
    import tensorflow as tf

    report = {}
    for path, inputs, outputs in zip(*[iter(sys.argv[1:])] * 3):
        loaded = tf.saved_model.load(path)
        serve = loaded.signatures["serving_default"]
        X = np.load(inputs)["X"]
        out = {k: v.numpy() for k, v in serve(X=tf.constant(X)).items()}
        np.savez(outputs, **{k: v.astype(str) if v.dtype == object else v
                             for k, v in out.items()})
        ops = set()
        for function in serve.graph.as_graph_def().library.function:
            ops |= {node.op for node in function.node_def}
        report[path] = {"metadata": json.loads(loaded.metadata.numpy()),
                        "ops": sorted(ops)}
    print(json.dumps(report))
    """
)


def _batch_norm_classifier(X, y):
    inputs = keras.Input((X.shape[1],))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)
    hidden = keras.layers.Dropout(0.3)(hidden)
    outputs = keras.layers.Dense(2, activation="softmax")(hidden)
    network = keras.Model(inputs, outputs)
    network.compile("adam", "sparse_categorical_crossentropy")
    network.fit(X, y, epochs=3, verbose=0)
    return MCDropoutClassifier.from_keras(
        network, classes=[0, 1], n_samples=25, random_state=0
    )


@pytest.fixture(scope="module")
def served(binary_data, make_regressor, tmp_path_factory):
    """Three exported models, served in one process with TensorFlow alone."""
    from sklearn.datasets import load_diabetes

    tmp = tmp_path_factory.mktemp("saved")
    X, y = binary_data
    bn = _batch_norm_classifier(X, y)
    norm = next(
        layer
        for layer in bn.model_.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    moving = [
        keras.ops.convert_to_numpy(norm.moving_mean),
        keras.ops.convert_to_numpy(norm.moving_variance),
    ]
    clf = MCDropoutClassifier(
        hidden_layer_sizes=(16,), epochs=3, n_samples=20, random_state=0
    ).fit(X[:300], y[:300])
    reject = RejectOptionClassifier(
        FrozenEstimator(clf), measure="mutual_information", coverage=0.8
    ).fit(X[300:], y[300:])
    X_reg, y_reg = load_diabetes(return_X_y=True)
    reg = make_regressor(noise="heteroscedastic").fit(X_reg, y_reg)
    cases = {"bn": (bn, X), "reject": (reject, X[:300]), "reg": (reg, X_reg)}
    argv = []
    for name, (model, rows) in cases.items():
        path = to_saved_model(model, tmp / name)
        np.savez(tmp / f"{name}_in.npz", X=np.asarray(rows, np.float32))
        argv += [path, str(tmp / f"{name}_in.npz"), str(tmp / f"{name}_out.npz")]
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *argv],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    out = {
        name: (dict(np.load(tmp / f"{name}_out.npz")), report[str(tmp / name)])
        for name in cases
    }
    return cases, out, (norm, moving)


def test_batch_norm_network_served_by_plain_tensorflow(served):
    cases, out, (norm, moving) = served
    clf, X = cases["bn"]
    values, info = out["bn"]
    # Inference mode: the moving statistics, unchanged by the export.
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(norm.moving_mean), moving[0]
    )
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(norm.moving_variance), moving[1]
    )
    np.testing.assert_allclose(values["probabilities"], clf.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(values["std"], clf.predict_uncertainty(X), atol=1e-5)
    np.testing.assert_array_equal(values["label"], clf.predict(X))
    assert not [op for op in info["ops"] if "Random" in op or "Dropout" in op]
    meta = info["metadata"]
    assert meta["n_samples"] == 25 and meta["mc_seed"] == clf.mc_seed_
    assert meta["classes"] == [0, 1]


def test_reject_option_served_by_plain_tensorflow(served):
    cases, out, _ = served
    reject, X = cases["reject"]
    values, _ = out["reject"]
    from sk_mcdropout.uncertainty import mutual_information

    samples = reject.estimator_.estimator.predict_proba_samples(X)
    score = mutual_information(samples.astype(np.float64))
    near = np.abs(score - reject.threshold_) < 1e-6
    np.testing.assert_array_equal(values["rejected"][~near], reject.reject(X)[~near])
    np.testing.assert_array_equal(values["label"][~near], reject.predict(X)[~near])
    assert values["reason"].dtype.kind in "US"


def test_regressor_served_by_plain_tensorflow(served):
    cases, out, _ = served
    reg, X = cases["reg"]
    values, _ = out["reg"]
    mean, std = reg.predict(X, return_std=True)
    # y is in the hundreds: float32 rounding of the network is about 1e-5.
    np.testing.assert_allclose(values["mean"][:, 0], mean, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(values["std"][:, 0], std, rtol=1e-6, atol=1e-4)


def test_preprocessing_is_refused(credit_pipeline, tmp_path):
    pytest.importorskip("onnx")
    with pytest.raises(TypeError, match="preprocessing steps \\(prepare\\)"):
        to_saved_model(credit_pipeline, tmp_path / "model")


def test_replaces_a_previous_model_in_one_step(binary_clf, tmp_path):
    first = to_saved_model(binary_clf, tmp_path / "model")
    (tmp_path / "model" / "marker").write_text("old")
    to_saved_model(binary_clf, tmp_path / "model")
    assert first == str(tmp_path / "model")
    assert not (tmp_path / "model" / "marker").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
