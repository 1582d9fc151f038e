"""
==================================================
Predictive band of a Monte Carlo dropout regressor
==================================================

A 1-D regression problem with a gap in the training data. An ordinary network
predicts a curve and says nothing about how far to trust it. With Monte Carlo
dropout (Gal & Ghahramani, 2016) the spread of the stochastic passes, added to
the estimated observation noise, gives a predictive band that stays close to
the noise level where there is data, widens somewhat in the gap, and widens
much more beyond the training range, where the network is extrapolating.
(A ReLU network interpolates a gap fairly confidently; a Gaussian process would
widen more there.)

The noise is the same everywhere here, so the example uses one noise level
(``noise="homoscedastic"``; the default, a variance head, suits noise that
varies with the inputs). It is estimated on a tenth of the training rows held
out from the weights, which are then fitted again on every row
(``calibration_fraction=0.1``, the default). A calibration plot on new data
compares it with the estimate on the training rows
(``calibration_fraction=None``).
"""

# %%
# Data: a noisy sine, observed on two intervals only
# --------------------------------------------------
import numpy as np

from sk_mcdropout import MCDropoutRegressor

rng = np.random.default_rng(0)
x_train = np.concatenate([rng.uniform(-4.5, -2, 100), rng.uniform(2, 4.5, 100)])
y_train = np.sin(x_train) + 0.15 * rng.standard_normal(x_train.size)
X_train = x_train[:, None]
x_grid = np.linspace(-7, 7, 400)

# %%
# Fit, then predict a mean and a standard deviation
# -------------------------------------------------
# ``predict(X, return_std=True)`` works as in ``GaussianProcessRegressor``.
# The total std combines the spread of the passes (epistemic) and the
# observation noise (aleatoric), estimated on held-out training rows.
params = dict(
    hidden_layer_sizes=(64, 64),
    p=0.2,
    noise="homoscedastic",
    epochs=60,
    learning_rate=0.01,
    n_samples=100,
    random_state=0,
)
reg = MCDropoutRegressor(**params).fit(X_train, y_train)

mean, std = reg.predict(x_grid[:, None], return_std=True)
epistemic = reg.predict_uncertainty(x_grid[:, None], kind="epistemic")

in_data = (np.abs(x_grid) > 2) & (np.abs(x_grid) < 4.5)
in_gap = np.abs(x_grid) < 1.5
outside = np.abs(x_grid) > 5.5
print(f"estimated noise std: {reg.noise_std_[0]:.3f} (true: 0.150)")
for name, where in [("with data", in_data), ("gap", in_gap), ("beyond", outside)]:
    print(
        f"{name:>9}: mean predictive std {std[where].mean():.3f}, "
        f"of which passes only {epistemic[where].mean():.3f}"
    )

# %%
# Is the std the right size? Check on new data
# --------------------------------------------
# New rows from the same distribution as the training rows. The 95% interval
# should cover about 95% of them; the training-row estimate of the noise is
# shown for comparison.
from sk_mcdropout.metrics import gaussian_nll, interval_coverage  # noqa: E402

x_new = np.concatenate([rng.uniform(-4.5, -2, 1000), rng.uniform(2, 4.5, 1000)])
y_new = np.sin(x_new) + 0.15 * rng.standard_normal(x_new.size)
X_new = x_new[:, None]
old = MCDropoutRegressor(**params, calibration_fraction=None).fit(X_train, y_train)
for name, model in [("held-out rows", reg), ("training rows", old)]:
    mean_new, std_new = model.predict(X_new, return_std=True)
    print(
        f"noise estimated on {name}: std {model.noise_std_[0]:.3f}, "
        f"95% coverage on new data "
        f"{interval_coverage(y_new, mean_new, std_new):.3f}, "
        f"NLL {gaussian_nll(y_new, mean_new, std_new):.3f}"
    )

# %%
# Plot the band and the calibration curves
# ----------------------------------------
import matplotlib.pyplot as plt  # noqa: E402

from sk_mcdropout import RegressionCalibrationDisplay  # noqa: E402

fig, (ax, ax_cal) = plt.subplots(
    1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2, 1]}
)
ax.fill_between(
    x_grid,
    mean - 2 * std,
    mean + 2 * std,
    color="tab:blue",
    alpha=0.2,
    label="mean +- 2 std (total)",
)
ax.fill_between(
    x_grid,
    mean - 2 * epistemic,
    mean + 2 * epistemic,
    color="tab:blue",
    alpha=0.35,
    label="mean +- 2 std (passes only)",
)
ax.plot(x_grid, np.sin(x_grid), "k--", lw=1, label="true function")
ax.plot(x_grid, mean, color="tab:blue", lw=2, label="MC dropout mean")
ax.scatter(x_train, y_train, s=8, color="tab:orange", label="training data")
ax.set_ylim(-4, 4)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("MC dropout: the band widens where there is no training data")
ax.legend(loc="upper left", fontsize=8)
display = RegressionCalibrationDisplay.from_estimator(
    reg, X_new, y_new, name="noise on held-out rows", ax=ax_cal
)
RegressionCalibrationDisplay.from_estimator(
    old, X_new, y_new, name="noise on training rows", ax=display.ax_
)
ax_cal.legend(loc="upper left", fontsize=8)
ax_cal.set_title("Calibration on new data")
fig.tight_layout()
plt.show()
