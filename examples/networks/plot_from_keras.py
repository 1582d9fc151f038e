"""
====================================
Bringing a Keras network you trained
====================================

A network trained in a notebook, loaded from a ``.keras`` file, or handed
over by another team already has dropout layers. ``from_keras`` wraps it as a
fitted scikit-learn estimator, without training it: Monte Carlo dropout
with the network's own rates, and everything a fitted estimator does
(``FrozenEstimator``, ``CalibratedClassifierCV``, a reject option, saving).

Here a classifier and a regressor are trained with plain Keras, saved and
loaded back, then wrapped.
"""

# %%
# A classifier trained with plain Keras
# -------------------------------------
# scikit-learn's breast cancer data, scaled; a network with two dropout
# layers, trained with ``Model.fit``, saved in Keras' own format and loaded
# back, as a network handed over would be.
import tempfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor
from sk_mcdropout.metrics import interval_coverage

keras.utils.set_random_seed(0)
X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

network = keras.Sequential(
    [
        keras.Input((X.shape[1],)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
network.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
network.fit(X_train, y_train, epochs=30, batch_size=32, verbose=0)
with tempfile.TemporaryDirectory() as folder:
    network.save(str(Path(folder) / "classifier.keras"))
    loaded = keras.saving.load_model(str(Path(folder) / "classifier.keras"))

# %%
# Wrap it
# -------
# ``classes`` names the output columns, in order. Nothing is trained.
clf = MCDropoutClassifier.from_keras(
    loaded, classes=[0, 1], n_samples=200, random_state=0
)
print(f"dropout rates kept: {clf.dropout_rates_}")
proba_det = clf.predict_proba_deterministic(X_test)
proba_mc = clf.predict_proba(X_test)
std = clf.predict_uncertainty(X_test)[:, 1]
print(f"\n{'prediction':28s} {'log loss':>9s} {'Brier':>7s}")
for name, proba in (
    ("one pass, dropout off", proba_det),
    ("MC dropout, 200 passes", proba_mc),
):
    print(
        f"{name:28s} {log_loss(y_test, proba):9.4f} "
        f"{brier_score_loss(y_test, proba[:, 1]):7.4f}"
    )

# %%
# A regressor trained with plain Keras
# ------------------------------------
# scikit-learn's diabetes data. The network was trained on standardised
# targets with mean squared error, so it predicts a mean only; the
# observation noise is not in the network. ``from_keras`` takes its
# standard deviation (here the RMSE on held-out rows, in the units of y) and
# the standardisation the targets were trained with.
X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
X_fit, X_hold, y_fit, y_hold = train_test_split(
    X_train, y_train, test_size=0.2, random_state=0
)
x_scaler = StandardScaler().fit(X_fit)
y_mean, y_std = y_fit.mean(), y_fit.std()
regression_network = keras.Sequential(
    [
        keras.Input((X.shape[1],)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(1),
    ]
)
regression_network.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
regression_network.fit(
    x_scaler.transform(X_fit), (y_fit - y_mean) / y_std, epochs=60, verbose=0
)
held_out = regression_network.predict(x_scaler.transform(X_hold), verbose=0)[:, 0]
rmse_holdout = float(np.sqrt(np.mean((held_out * y_std + y_mean - y_hold) ** 2)))

reg = MCDropoutRegressor.from_keras(
    regression_network,
    noise_std=rmse_holdout,
    target_mean=y_mean,
    target_scale=y_std,
    n_samples=200,
    random_state=0,
)
mean, total_std = reg.predict(x_scaler.transform(X_test), return_std=True)
epistemic = reg.predict_uncertainty(x_scaler.transform(X_test), kind="epistemic")
print(f"\nheld-out RMSE (the noise std): {rmse_holdout:.1f}")
print(f"test RMSE: {np.sqrt(np.mean((mean - y_test) ** 2)):.1f}")
print(
    f"95% interval coverage on test rows: "
    f"{interval_coverage(y_test, mean, total_std, confidence_level=0.95):.3f}"
)
print(f"mean std of the passes alone (epistemic): {epistemic.mean():.1f}")

# %%
# What the passes add
# -------------------
# Left: the classifier's probability with dropout off against the MC mean;
# doubtful rows (colour: std of the passes) are pulled towards 0.5. Right:
# the regressor's 95% intervals on the test rows, sorted by prediction.
fig, (ax_clf, ax_reg) = plt.subplots(1, 2, figsize=(12, 4.5))
points = ax_clf.scatter(proba_det[:, 1], proba_mc[:, 1], c=std, cmap="viridis", s=16)
ax_clf.plot([0, 1], [0, 1], "k--", linewidth=0.8)
ax_clf.set_xlabel("P(benign), one pass with dropout off")
ax_clf.set_ylabel("P(benign), mean of 200 passes")
ax_clf.set_title("Classifier: the passes temper confident outputs")
fig.colorbar(points, ax=ax_clf, label="std of the passes")
order = np.argsort(mean)
ax_reg.errorbar(
    np.arange(len(order)),
    mean[order],
    yerr=1.96 * total_std[order],
    fmt="o",
    markersize=3,
    alpha=0.6,
    label="mean and 95% interval",
)
ax_reg.scatter(np.arange(len(order)), y_test[order], s=8, color="red", label="true")
ax_reg.set_xlabel("test rows, by predicted mean")
ax_reg.set_ylabel("disease progression")
ax_reg.set_title("Regressor: intervals from the passes and the noise")
ax_reg.legend()
fig.tight_layout()
plt.show()
