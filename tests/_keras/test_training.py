"""The training loop (whole epochs per compiled call) keeps what users rely on,
and early stopping behaves as in MLPClassifier."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor
from sk_mcdropout import _keras as _network


class WeightLog(keras.callbacks.Callback):
    """Records the weights and logs at every epoch end."""

    def on_train_begin(self, logs=None):
        self.weights, self.logs = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())
        self.logs.append(dict(logs))


class BatchCounter(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


class ValidationBatchCounter(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_test_batch_end(self, batch, logs=None):
        self.batches += 1


def test_default_fit_takes_the_fast_loop(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(epochs=1).fit(X, y)
    args = dict(batch_size=32, epochs=1, verbose=0, shuffle=True, callbacks=[])
    assert _network.fallback_reason(clf.model_, X, y, args) is None
    # ... and these need Keras' own loop.
    assert "verbose" in _network.fallback_reason(clf.model_, X, y, {"verbose": 1})
    assert "BatchCounter" in _network.fallback_reason(
        clf.model_, X, y, {"callbacks": [BatchCounter()]}
    )
    assert "steps_per_epoch" in _network.fallback_reason(
        clf.model_, X, y, {"steps_per_epoch": 2}
    )


def test_logs_and_callbacks_are_kerass(binary_data, make_classifier):
    X, y = binary_data
    log = WeightLog()
    clf = make_classifier(
        epochs=4, validation_split=0.25, callbacks=[log], metrics=["accuracy"]
    )
    clf.fit(X, y)
    assert set(clf.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 4 for v in clf.history_.values())
    assert log.logs[-1]["val_loss"] == clf.history_["val_loss"][-1]
    # Keras' validation rows are the last ones; the last val_loss is the
    # final network's loss on them.
    split = int(np.floor(len(X) * 0.75))
    loss = clf.model_.evaluate(X[split:], y[split:], verbose=0, return_dict=True)
    np.testing.assert_allclose(loss["loss"], clf.history_["val_loss"][-1], rtol=1e-5)


def test_per_batch_callback_falls_back_to_keras(binary_data, make_classifier):
    X, y = binary_data
    counter = BatchCounter()
    clf = make_classifier(epochs=2, batch_size=100, callbacks=[counter]).fit(X, y)
    assert counter.batches == 2 * int(np.ceil(len(X) / 100))
    assert len(clf.history_["loss"]) == 2


def test_keras_epoch_callbacks_work(binary_data, tmp_path, make_classifier):
    X, y = binary_data
    path = tmp_path / "best.keras"
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=10, patience=1)
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="loss")
    clf = make_classifier(epochs=20, callbacks=[stop, checkpoint]).fit(X, y)
    assert len(clf.history_["loss"]) == 2  # no epoch improves by 10
    assert path.exists()


def test_sample_weight_is_used(binary_data, make_classifier):
    X, y = binary_data
    plain = (
        make_classifier(epochs=3).fit(X, y).predict_proba_deterministic(X)[:, 1].mean()
    )
    weight = np.where(y == 1, 10.0, 1.0)
    heavy = make_classifier(epochs=3).fit(X, y, sample_weight=weight)
    assert heavy.predict_proba_deterministic(X)[:, 1].mean() > plain


def test_batch_normalization_statistics_are_updated(binary_data, make_classifier):
    X, y = binary_data

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        h = keras.layers.Dense(8)(inputs)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.Dropout(0.2)(h)
        return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))

    clf = make_classifier(model=build, epochs=2).fit(X, y)
    bn = next(
        layer
        for layer in clf.model_.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    assert np.abs(np.asarray(bn.moving_mean)).max() > 0


def test_partial_fit_and_warm_start_count_epochs(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(early_stopping=True)
    clf.partial_fit(X, y).partial_fit(X, y)
    # partial_fit trains on every row and does not stop early (as MLPClassifier).
    assert clf.n_iter_ == clf.current_epoch == 2 and clf.validation_scores_ is None
    assert clf.loss_curve_ == clf.history_["loss"]
    clf = make_classifier(epochs=2, warm_start=True).fit(X, y)
    network, first = clf.model_, clf.model_.get_weights()
    clf.fit(X, y)
    # The same network, trained further; each fit's history is its own.
    assert clf.model_ is network and clf.n_iter_ == clf.current_epoch == 2
    assert not np.array_equal(first[0], clf.model_.get_weights()[0])


def test_default_trains_every_epoch(binary_data, make_classifier, make_regressor):
    # epochs means epochs, as in Keras: no stopping rule unless one is asked
    # for, even where the training-loss rule would stop at once (tol=10).
    X, y = binary_data
    for make in (make_classifier, make_regressor):
        est = make(epochs=14, tol=10.0)
        assert est.get_params()["n_iter_no_change"] is None
        est.fit(X, y)
        assert est.n_iter_ == len(est.loss_curve_) == len(est.history_["loss"]) == 14
        assert est.validation_scores_ is None
    # With early stopping, None is MLPClassifier's patience of 10 epochs.
    clf = make_classifier(epochs=30, tol=10.0, early_stopping=True).fit(X, y)
    assert clf.n_iter_ == len(clf.validation_scores_) == 1 + 10 + 1


def test_loss_rule_stops_after_n_iter_no_change(binary_data, make_classifier):
    # MLPClassifier's rule without early stopping: the training loss must
    # improve by tol; here it never does, so after the first epoch (the
    # reference) training stops once n_iter_no_change epochs are exceeded.
    X, y = binary_data
    clf = make_classifier(epochs=50, tol=10.0, n_iter_no_change=3).fit(X, y)
    assert clf.n_iter_ == 1 + 3 + 1
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    # np.inf never stops (MLPClassifier accepts it too).
    assert (
        make_classifier(epochs=6, tol=10.0, n_iter_no_change=np.inf).fit(X, y).n_iter_
        == 6
    )


def test_early_stopping_restores_the_best_epoch(binary_data, make_classifier):
    X, y = binary_data
    log = WeightLog()
    params = dict(epochs=40, early_stopping=True, n_iter_no_change=2, callbacks=[log])
    clf = make_classifier(**params).fit(X, y)
    scores = clf.validation_scores_
    assert clf.n_iter_ == len(scores) == len(clf.loss_curve_) <= 40
    assert clf.best_validation_score_ == max(scores)
    assert clf.best_loss_ is None
    best = int(np.argmax(scores))
    for restored, logged in zip(
        clf.model_.get_weights(), log.weights[best], strict=True
    ):
        np.testing.assert_array_equal(restored, logged)
    # Reproducible for a given random_state.
    again = make_classifier(**params).fit(X, y)
    assert again.validation_scores_ == scores
    np.testing.assert_array_equal(
        again.predict_proba(X[:10]), clf.predict_proba(X[:10])
    )


def test_early_stopping_split_is_stratified(binary_data, monkeypatch, make_classifier):
    # 10 rows of class 1 among 340: a stratified 10% split (34 rows) holds
    # exactly one of them out, whatever the seed; an unstratified one holds
    # out none, one or several (one with probability 0.39 per seed).
    X, y = binary_data
    rows = np.concatenate([np.flatnonzero(y == 0)[:330], np.flatnonzero(y == 1)[:10]])
    held_out = []
    score = MCDropoutClassifier._validation_score

    def spy(self, X_val, y_val, sample_weight):
        held_out.append(int(np.sum(self._codes(y_val) == 1)))
        return score(self, X_val, y_val, sample_weight)

    monkeypatch.setattr(MCDropoutClassifier, "_validation_score", spy)
    for seed in range(5):
        clf = make_classifier(
            epochs=2,
            early_stopping=True,
            validation_fraction=0.1,
            hidden_layer_sizes=(4,),
            random_state=seed,
        )
        clf.fit(X[rows], y[rows])
        assert len(clf.validation_scores_) == 2
    assert held_out == [1] * 10


def test_early_stopping_in_grid_search_and_cache(
    binary_data, tmp_path, make_classifier, trainings, cache_entries
):
    X, y = binary_data
    est = make_classifier(epochs=5, early_stopping=True, memory=tmp_path)
    search = GridSearchCV(est, {"n_iter_no_change": [1, 3]}, cv=2).fit(X, y)
    # Two candidates on two folds, and the refit: each trained and stored.
    assert len(trainings) == cache_entries(tmp_path) == 5
    best = search.best_estimator_
    assert best.n_iter_ == len(best.validation_scores_) == len(best.loss_curve_)
    assert best.best_validation_score_ == max(best.validation_scores_)
    first = make_classifier(epochs=5, early_stopping=True, memory=tmp_path).fit(X, y)
    hit = make_classifier(epochs=5, early_stopping=True, memory=tmp_path).fit(X, y)
    # The second fit trained nothing: its stopping state is the first's.
    assert len(trainings) == 6
    assert hit.validation_scores_ == first.validation_scores_
    assert hit.n_iter_ == first.n_iter_
    assert hit.best_validation_score_ == first.best_validation_score_
    for a, b in zip(hit.model_.get_weights(), first.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("noise", ["homoscedastic", "heteroscedastic"])
def test_regressor_early_stopping(noise):
    X, y = load_diabetes(return_X_y=True)
    reg = MCDropoutRegressor(
        hidden_layer_sizes=(16,),
        epochs=30,
        n_samples=10,
        noise=noise,
        early_stopping=True,
        n_iter_no_change=2,
        random_state=0,
    ).fit(X, y)
    assert reg.n_iter_ == len(reg.validation_scores_) <= 30
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert reg.predict(X[:5]).shape == (5,)


def test_fits_in_threads_equal_fits_one_after_another(binary_data, make_classifier):
    # The training loop holds no process-wide lock (only building does):
    # threads train in parallel and each gets exactly its sequential model.
    from concurrent.futures import ThreadPoolExecutor

    X, y = binary_data

    def fit(seed):
        return (
            make_classifier(epochs=2, random_state=seed).fit(X, y).predict_proba(X[:20])
        )

    expected = [fit(seed) for seed in (0, 1, 2, 3)]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(fit, (0, 1, 2, 3)))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_twin_trains_exactly_like_the_network_itself(
    binary_data, monkeypatch, make_classifier
):
    # Fits of a user's network of an architecture seen before run on a twin
    # network whose compiled loop is already traced; the fitted model is the
    # same bit for bit as training the network's own loop.
    from sk_mcdropout._keras import _training

    X, y = binary_data
    log = WeightLog()
    params = dict(
        epochs=3,
        validation_split=0.2,
        callbacks=[log],
        model=_network.build_mlp,
    )
    make_classifier(**params).fit(X, y)  # leaves a twin of this architecture
    twin = make_classifier(**params).fit(X, y)
    twin_logs = log.logs
    monkeypatch.setattr(_training, "_architecture", lambda model: None)
    own = make_classifier(**params).fit(X, y)
    assert log.logs == twin_logs
    for a, b in zip(twin.model_.get_weights(), own.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(twin.predict_proba(X[:20]), own.predict_proba(X[:20]))


def test_learning_rate_scheduler_reaches_the_compiled_loop(
    binary_data, make_classifier
):
    # Callbacks change the optimizer between epochs; the next epoch uses it.
    X, y = binary_data
    log = WeightLog()
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: 0.01 if epoch == 0 else 0.0
    )
    make_classifier(epochs=3, callbacks=[schedule, log]).fit(X, y)
    for a, b in zip(log.weights[1], log.weights[2], strict=True):
        np.testing.assert_array_equal(a, b)  # learning rate 0: no change


def test_early_stopping_refuses_a_second_validation_split(binary_data, make_classifier):
    X, y = binary_data
    with pytest.raises(ValueError, match="early_stopping=True and validation_split"):
        make_classifier(early_stopping=True, validation_split=0.2).fit(X, y)


def test_run_eagerly_trains_in_keras_own_loop(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(epochs=3, run_eagerly=True).fit(X, y)
    assert clf.model_.run_eagerly is True
    assert _network.fallback_reason(clf.model_, X, y, {}) == "run_eagerly"
    assert clf.n_iter_ == 3 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.8


def test_validation_batch_size_reaches_keras(binary_data, make_classifier):
    X, y = binary_data
    split = int(np.floor(len(X) * 0.8))  # Keras validates on the last rows
    counter = ValidationBatchCounter()
    params = dict(epochs=2, validation_split=0.2, validation_batch_size=10)
    clf = make_classifier(**params, callbacks=[counter]).fit(X, y)
    assert counter.batches == 2 * int(np.ceil((len(X) - split) / 10))
    # The compiled loop takes it too; the loss is the same mean over rows.
    fast = make_classifier(**params).fit(X, y)
    loss = fast.model_.evaluate(X[split:], y[split:], batch_size=10, verbose=0)
    np.testing.assert_allclose(fast.history_["val_loss"][-1], loss, rtol=1e-5)
    assert len(clf.history_["val_loss"]) == 2
