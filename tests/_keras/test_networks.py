"""Users' own networks: build functions, Keras models, what is and is not sampled."""

import keras
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sk_mcdropout import MCDropoutClassifier, _compat


def bn_dropout_net(meta, p):
    """Dense -> BatchNormalization -> Dropout(p) -> softmax; p is passed in."""
    inputs = keras.Input((meta["n_features_in_"],))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(p)(x)
    outputs = keras.layers.Dense(meta["n_classes_"], activation="softmax")(x)
    return keras.Model(inputs, outputs)


def sequential_net(meta):
    """No p parameter: the estimator sets every Dropout layer's rate."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dropout(0.5),  # on the inputs
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def skip_net(meta):
    """A deterministic branch merged with a dropout branch."""
    inputs = keras.Input((meta["n_features_in_"],))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    d = keras.layers.Dropout(0.3)(keras.layers.Dense(8, activation="relu")(h))
    x = keras.layers.Concatenate()([h, d])
    outputs = keras.layers.Dense(meta["n_classes_"], activation="softmax")(x)
    return keras.Model(inputs, outputs)


def sigmoid_net(meta):
    inputs = keras.Input((meta["n_features_in_"],))
    x = keras.layers.Dropout(0.2)(keras.layers.Dense(8, activation="relu")(inputs))
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="binary_crossentropy", optimizer="adam")
    return model


def no_dropout_net(meta):
    inputs = keras.Input((meta["n_features_in_"],))
    outputs = keras.layers.Dense(meta["n_classes_"], activation="softmax")(inputs)
    return keras.Model(inputs, outputs)


class Subclassed(keras.Model):
    def __init__(self, n_classes=2, **kwargs):
        super().__init__(**kwargs)
        self.drop = keras.layers.Dropout(0.2)
        self.out = keras.layers.Dense(n_classes, activation="softmax")

    def call(self, x, training=False):
        return self.out(self.drop(x, training=training))


def subclassed_net(meta):
    return Subclassed(meta["n_classes_"])


def rates(clf):
    return [
        layer.rate
        for layer in _compat.flatten_layers(clf.model_)
        if isinstance(layer, keras.layers.Dropout)
    ]


def test_batchnorm_stays_in_inference_mode(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(model=bn_dropout_net, p=0.0, epochs=3).fit(X, y)
    # With p=0 the MC mean must be the inference-mode pass: BatchNormalization
    # in training mode would normalise with the batch statistics instead.
    np.testing.assert_allclose(
        clf.predict_proba(X), clf.predict_proba_deterministic(X), atol=1e-6
    )
    # With dropout on, prediction must not touch the moving statistics.
    clf.set_params(p=0.5).fit(X, y)
    bn = next(
        layer
        for layer in clf.model_.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    before = [w.copy() for w in bn.get_weights()]
    clf.predict_proba(X[:100])
    clf.predict_proba_samples(X[:7])
    for b, a in zip(before, bn.get_weights(), strict=True):
        np.testing.assert_array_equal(b, a)


def test_build_function_receives_p(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(model=bn_dropout_net, p=0.35, epochs=1).fit(X, y)
    assert rates(clf) == [pytest.approx(0.35)]


def test_p_overrides_rates_of_a_build_function_without_p(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(model=sequential_net, p=0.1, epochs=1).fit(X, y)
    assert rates(clf) == [pytest.approx(0.1)] * 2
    keep = make_classifier(model=sequential_net, p=None, epochs=1).fit(X, y)
    assert rates(keep) == [0.5, 0.5]
    assert keep.predict_uncertainty(X).max() > 0


def test_grid_search_over_p_with_a_build_function(binary_data, make_classifier):
    X, y = binary_data
    search = GridSearchCV(
        make_classifier(model=sequential_net, epochs=2), {"p": [0.1, 0.4]}, cv=2
    ).fit(X, y)
    assert (
        rates(search.best_estimator_) == [pytest.approx(search.best_params_["p"])] * 2
    )
    assert list(search.cv_results_["param_p"]) == [0.1, 0.4]


def test_deterministic_branch_merged_with_dropout_branch(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(model=skip_net, epochs=2, p=None).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    rows = np.array([5, 1, 300])
    np.testing.assert_array_equal(clf.predict_proba(X[rows]), proba[rows])
    assert clf.predict_uncertainty(X).max() > 0


def test_single_sigmoid_output_gives_two_columns(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(model=sigmoid_net, loss="binary_crossentropy", epochs=3).fit(
        X, y
    )
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert clf.score(X, y) > 0.8


def test_keras_model_instance(multiclass_data, make_classifier):
    X, y = multiclass_data
    model = bn_dropout_net({"n_features_in_": 4, "n_classes_": 3}, p=0.2)
    before = [w.copy() for w in model.get_weights()]
    clf = make_classifier(model=model, epochs=5).fit(X, y)
    # The instance itself is trained and used: its own inference-mode output
    # is the deterministic pass, and the Monte Carlo mean is near it.
    assert clf.model_ is model
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(before, model.get_weights(), strict=True)
    )
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(
        clf.predict_proba_deterministic(X), expected, rtol=1e-5, atol=1e-6
    )
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert not np.allclose(proba, expected, atol=1e-3)


def test_network_without_dropout_is_refused(binary_data, make_classifier):
    X, y = binary_data
    with pytest.raises(ValueError, match="no keras.layers.Dropout layer"):
        make_classifier(model=no_dropout_net).fit(X, y)


def test_subclassed_network_is_refused(binary_data, make_classifier):
    X, y = binary_data
    with pytest.raises(ValueError, match="subclassed keras.Model"):
        make_classifier(model=subclassed_net).fit(X, y)


def test_model_routed_parameters_reach_the_build_function(binary_data):
    X, y = binary_data

    clf = MCDropoutClassifier(
        model=width_net, model__width=5, epochs=1, random_state=0
    ).fit(X, y)
    assert clf.model_.layers[1].units == 5


def width_net(meta, width=3):
    inputs = keras.Input((meta["n_features_in_"],))
    x = keras.layers.Dropout(0.1)(keras.layers.Dense(width)(inputs))
    outputs = keras.layers.Dense(meta["n_classes_"], activation="softmax")(x)
    return keras.Model(inputs, outputs)
