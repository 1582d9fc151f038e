"""Saving and loading without pickle: sk_mcdropout.save / load, and skops."""

import json
import pickle
import zipfile

import joblib
import keras
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import (
    MCDropoutClassifier,
    MCDropoutRegressor,
    RejectOptionClassifier,
    RejectOptionRegressor,
    load,
    save,
    trusted_types,
)


@pytest.fixture
def no_unpickling(monkeypatch):
    """Loading must not unpickle: any attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used to load")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


def _same_classifier(a, b, X):
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    if hasattr(a, "predict_uncertainty"):
        np.testing.assert_array_equal(
            a.predict_uncertainty(X), b.predict_uncertainty(X)
        )


def test_classifier_round_trip(mc_clf, cancer, tmp_path, no_unpickling):
    _, X_test, _, _ = cancer
    path = tmp_path / "clf.skmcd"
    save(mc_clf, path)
    restored = load(path)
    _same_classifier(restored, mc_clf, X_test)
    np.testing.assert_array_equal(
        restored.predict_proba_samples(X_test), mc_clf.predict_proba_samples(X_test)
    )
    assert restored.get_params() == mc_clf.get_params()
    assert restored.mc_seed_ == mc_clf.mc_seed_
    assert restored.history_ == mc_clf.history_
    with pytest.raises(ValueError, match="X has 3 features"):
        restored.predict(X_test[:, :3])


@pytest.mark.parametrize("noise", ["homoscedastic", "heteroscedastic"])
def test_regressor_round_trip(noise, tmp_path, no_unpickling):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    y = np.column_stack([X[:, 0], X[:, 1] * 2]) + 10.0
    reg = MCDropoutRegressor(
        hidden_layer_sizes=(8,), epochs=2, n_samples=10, noise=noise, random_state=0
    ).fit(X, y)
    save(reg, tmp_path / "reg.skmcd")
    restored = load(tmp_path / "reg.skmcd")
    for a, b in zip(
        restored.predict(X, return_std=True),
        reg.predict(X, return_std=True),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        restored.predict_uncertainty(X, kind="aleatoric"),
        reg.predict_uncertainty(X, kind="aleatoric"),
    )


def test_pipeline_round_trip(cancer, tmp_path, no_unpickling, make_classifier):
    pytest.importorskip("skops.io")
    pd = pytest.importorskip("pandas")
    X_train, X_test, y_train, _ = cancer
    columns = [f"f{i}" for i in range(X_train.shape[1])]
    labels = np.array(["benign", "malignant"])[y_train]
    pipe = make_pipeline(
        StandardScaler(), make_classifier(hidden_layer_sizes=(8,), epochs=2)
    ).fit(pd.DataFrame(X_train, columns=columns), labels)
    save(pipe, tmp_path / "pipe.skmcd")
    restored = load(tmp_path / "pipe.skmcd")
    frame = pd.DataFrame(X_test, columns=columns)
    _same_classifier(restored, pipe, frame)
    assert [name for name, _ in restored.steps] == [name for name, _ in pipe.steps]
    assert list(restored[0].feature_names_in_) == columns


def test_wrapped_network_and_build_function_need_no_code(cancer, tmp_path):
    X_train, X_test, y_train, _ = cancer

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        x = keras.layers.Dropout(0.1)(keras.layers.Dense(8, activation="relu")(inputs))
        return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))

    clf = MCDropoutClassifier(build, epochs=1, n_samples=10, random_state=0)
    clf.fit(X_train, y_train)
    save(clf, tmp_path / "built.skmcd")
    restored = load(tmp_path / "built.skmcd")
    _same_classifier(restored, clf, X_test)
    # The build function is not stored: the loaded estimator's model is its
    # trained network.
    assert restored.model is restored.model_
    wrapped = MCDropoutClassifier.from_keras(
        clf.model_, classes=[0, 1], n_samples=10, random_state=1
    )
    save(wrapped, tmp_path / "wrapped.skmcd")
    _same_classifier(load(tmp_path / "wrapped.skmcd"), wrapped, X_test)


def test_concrete_dropout_round_trip(cancer, tmp_path, make_classifier):
    X_train, X_test, y_train, _ = cancer
    clf = make_classifier(p="concrete", hidden_layer_sizes=(8, 8), epochs=1).fit(
        X_train, y_train
    )
    save(clf, tmp_path / "concrete.skmcd")
    restored = load(tmp_path / "concrete.skmcd")
    np.testing.assert_array_equal(restored.dropout_rates_, clf.dropout_rates_)
    _same_classifier(restored, clf, X_test)


def test_incompatible_or_foreign_files_are_refused(mc_clf, tmp_path):
    path = tmp_path / "clf.skmcd"
    save(mc_clf, path)
    newer = tmp_path / "newer.skmcd"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "format.json":
                header = json.loads(data)
                header["format_version"] = 99
                data = json.dumps(header)
            dst.writestr(item, data)
    with pytest.raises(ValueError, match="format version 99 .* reads format version"):
        load(newer)
    joblib.dump(mc_clf, tmp_path / "pickled.skmcd")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("data.txt", "hello")
    for name in ("pickled.skmcd", "other.zip"):
        with pytest.raises(ValueError, match="not written by sk_mcdropout.save"):
            load(tmp_path / name)


def test_unstorable_objects_are_refused(mc_clf, tmp_path):
    clf = pickle.loads(pickle.dumps(mc_clf))
    clf.set_params(random_state=np.random.RandomState(0))
    with pytest.raises(ValueError, match="parameter random_state=RandomState"):
        save(clf, tmp_path / "x.skmcd")
    with pytest.raises(TypeError, match="Pipeline that ends with one"):
        save(StandardScaler(), tmp_path / "x.skmcd")
    with pytest.raises(TypeError, match="got CalibratedClassifierCV"):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression

        save(
            CalibratedClassifierCV(LogisticRegression()).fit(
                np.random.default_rng(0).normal(size=(20, 2)), [0, 1] * 10
            ),
            tmp_path / "x.skmcd",
        )
    pipe = make_pipeline(StandardScaler(), mc_clf, memory=joblib.Memory(None))
    with pytest.raises(ValueError, match="memory=None"):
        save(pipe, tmp_path / "x.skmcd")


def test_safe_mode_refuses_code_in_the_network(cancer, tmp_path):
    # A Lambda layer is arbitrary code: Keras' safe mode will not load it.
    X_train, _, y_train, _ = cancer

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
        x = keras.layers.Dropout(0.1)(keras.layers.Dense(4, activation="relu")(x))
        return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))

    clf = MCDropoutClassifier(build, epochs=1, n_samples=5, random_state=0)
    save(clf.fit(X_train, y_train), tmp_path / "lambda.skmcd")
    with pytest.raises(ValueError, match="(?i)unsafe|safe_mode"):
        load(tmp_path / "lambda.skmcd")


def test_skops_round_trip(mc_clf, cancer, tmp_path, make_classifier):
    sio = pytest.importorskip("skops.io")
    X_train, X_test, y_train, _ = cancer
    pipe = make_pipeline(
        StandardScaler(), make_classifier(hidden_layer_sizes=(8,), epochs=1)
    )
    pipe.fit(X_train, y_train)
    for obj in (mc_clf, pipe):
        path = tmp_path / "model.skops"
        sio.dump(obj, path)
        untrusted = sio.get_untrusted_types(file=path)
        # The public path, and every type in the library's published list.
        assert "sk_mcdropout.neural_network.MCDropoutClassifier" in untrusted
        assert set(untrusted) <= set(trusted_types())
        with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
            sio.load(path)
        restored = sio.load(path, trusted=trusted_types())
        _same_classifier(restored, obj, X_test)


# A process that saves over the same file until it is killed.
_SAVER = """
import sys
from sk_mcdropout import load, save
model = load(sys.argv[1])
print("ready", flush=True)
while True:
    save(model, sys.argv[2])
"""

# The same replacement of a file, without TensorFlow (quick to start): the
# bytes of a saved model written in small flushed pieces, over and over.
_WRITER = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("atomic", sys.argv[1])
atomic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(atomic)
data = open(sys.argv[2], "rb").read()
print("ready", flush=True)
while True:
    with atomic.replaced_file(sys.argv[3]) as f:
        for i in range(0, len(data), 4096):
            f.write(data[i : i + 4096])
            f.flush()
            time.sleep(0.0005)
"""


def _killed_at_random(command, seed, delay):
    import signal
    import subprocess
    import sys
    import time

    process = subprocess.Popen(
        [sys.executable, "-c", *command], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    time.sleep(np.random.default_rng(seed).uniform(0, delay))
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_killed_save_leaves_the_previous_file(mc_clf, cancer, tmp_path):
    import concurrent.futures

    import sk_mcdropout._atomic as atomic

    _, X_test, _, _ = cancer
    source = tmp_path / "source.skmcd"
    save(mc_clf, source)
    expected = mc_clf.predict_proba(X_test)
    targets = [tmp_path / f"model{i}.skmcd" for i in range(3)]
    for target in targets:
        target.write_bytes(source.read_bytes())
    # Three processes running save() in a loop, each killed at a random
    # moment, then ten kills of the same replacement written slowly.
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        list(
            pool.map(
                lambda i: _killed_at_random(
                    [_SAVER, str(source), str(targets[i])], i, 1.0
                ),
                range(3),
            )
        )
    for seed in range(10):
        _killed_at_random(
            [_WRITER, atomic.__file__, str(source), str(targets[0])], seed, 0.3
        )
    for target in targets:
        np.testing.assert_array_equal(load(target).predict_proba(X_test), expected)
    # The temporaries the killed processes left go with the next save.
    for target in targets:
        save(mc_clf, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["source.skmcd", *(t.name for t in targets)]
    )


_LOADER = """
import sys
import numpy as np
from sk_mcdropout import load
X = np.load(sys.argv[1])["X"]
out = {}
for i, path in enumerate(sys.argv[3:]):
    model = load(path)
    for method in ("predict", "predict_proba", "reject"):
        if hasattr(model, method):
            out[f"{i}_{method}"] = np.asarray(getattr(model, method)(X))
np.savez(sys.argv[2], **out)
"""


def test_deployed_objects_round_trip_in_a_fresh_process(
    mc_clf, cancer, tmp_path, make_classifier, make_regressor
):
    import subprocess
    import sys

    sio = pytest.importorskip("skops.io")
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    X_train, X_test, y_train, y_test = cancer
    pipe = make_pipeline(
        StandardScaler(), make_classifier(hidden_layer_sizes=(8,), epochs=1)
    ).fit(X_train, y_train)
    reg = make_regressor(noise="heteroscedastic").fit(X_train, X_train[:, 0])
    objects = [
        FrozenEstimator(mc_clf),
        CalibratedClassifierCV(FrozenEstimator(pipe)).fit(X_test, y_test),
        CalibratedClassifierCV(
            make_classifier(hidden_layer_sizes=(8,), epochs=1), cv=2
        ).fit(X_train, y_train),
        RejectOptionClassifier(
            FrozenEstimator(mc_clf),
            measure="mutual_information",
            coverage=0.8,
            novelty_quantile=0.95,
        ).fit(X_test, y_test),
        RejectOptionRegressor(FrozenEstimator(reg), coverage=0.8).fit(
            X_test, X_test[:, 0]
        ),
        make_pipeline(
            StandardScaler(),
            RejectOptionClassifier(
                make_classifier(hidden_layer_sizes=(8,), epochs=1), cv=2
            ),
        ).fit(X_train, y_train),
        # The fold networks make the predictions.
        RejectOptionClassifier(
            make_classifier(hidden_layer_sizes=(8,), epochs=1),
            measure="predictive_entropy",
            cv=2,
            refit=False,
        ).fit(X_train, y_train),
    ]
    paths = []
    for i, obj in enumerate(objects):
        # skops users need no type beyond the published list either.
        untrusted = sio.get_untrusted_types(data=sio.dumps(obj))
        assert set(untrusted) <= set(trusted_types())
        paths.append(str(tmp_path / f"object{i}.skmcd"))
        save(obj, paths[-1])
        with zipfile.ZipFile(paths[-1]) as archive:
            assert json.loads(archive.read("format.json"))["format_version"] == 2
    np.savez(tmp_path / "X.npz", X=X_test)
    result = subprocess.run(
        [sys.executable, "-c", _LOADER, str(tmp_path / "X.npz"), str(tmp_path / "out")]
        + paths,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    out = np.load(tmp_path / "out.npz")
    assert len(out.files) == 16
    for i, obj in enumerate(objects):
        for method in ("predict", "predict_proba", "reject"):
            if hasattr(obj, method):
                expected = np.asarray(getattr(obj, method)(X_test))
                np.testing.assert_array_equal(out[f"{i}_{method}"], expected)


# A folder replaced over and over, each file of it written slowly.
_FOLDER_WRITER = """
import importlib.util, os, sys, time
spec = importlib.util.spec_from_file_location("atomic", sys.argv[1])
atomic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(atomic)
print("ready", flush=True)
while True:
    with atomic.replaced_folder(sys.argv[2]) as tmp:
        os.makedirs(tmp)
        for i in range(20):
            with open(os.path.join(tmp, f"part{i}"), "w") as f:
                f.write("x" * 10000)
                f.flush()
            time.sleep(0.001)
"""


def test_killed_folder_export_leaves_the_previous_folder(tmp_path):
    import os

    import sk_mcdropout._atomic as atomic

    target = tmp_path / "model"
    target.mkdir()
    for i in range(20):
        (target / f"part{i}").write_text("x" * 10000)
    for seed in range(10):
        _killed_at_random([_FOLDER_WRITER, atomic.__file__, str(target)], seed, 0.3)
        # Whole: every part there and complete, whichever write it is from.
        assert sorted(p.name for p in target.iterdir()) == sorted(
            f"part{i}" for i in range(20)
        )
        assert {len(p.read_text()) for p in target.iterdir()} == {10000}
    # The next write replaces it and removes what the killed writers left.
    with atomic.replaced_folder(target) as tmp:
        os.makedirs(tmp)
        open(os.path.join(tmp, "only"), "w").close()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert [p.name for p in target.iterdir()] == ["only"]
