"""The target encoders: what the network is trained on, and back.

Both build on scikeras' encoders, whose metadata (``n_classes_``,
``n_outputs_``, ...) scikeras passes to build functions.
"""

import numpy as np
from scikeras.utils import loss_name
from scikeras.utils.transformers import ClassifierLabelEncoder, RegressorTargetEncoder

# Losses that compare the target with the whole softmax output of the built-in
# network, so they need one-hot targets (scikeras one-hot encodes only for
# categorical crossentropy, and never binary targets).
_ONE_HOT_LOSSES = frozenset(
    {
        "categorical_crossentropy",
        "binary_crossentropy",
        "categorical_focal_crossentropy",
        "binary_focal_crossentropy",
        "categorical_hinge",
        "kl_divergence",
    }
)


def needs_one_hot(loss):
    """Whether ``loss`` compares the target with the whole softmax output."""
    try:
        return loss_name(loss) in _ONE_HOT_LOSSES
    except (TypeError, ValueError):
        return False


class OneHotLabelEncoder(ClassifierLabelEncoder):
    """scikeras' label encoder, one-hot for binary targets too."""

    def __init__(self, loss="categorical_crossentropy", categories="auto"):
        super().__init__(loss=loss, categories=categories)

    # scikeras' fit chooses the encoding from this hook's answer; "multiclass"
    # (with a categorical loss) is its one-hot encoding.
    def _type_of_target(self, y):
        target_type = super()._type_of_target(y)
        return "multiclass" if target_type == "binary" else target_type


class StandardTargetEncoder(RegressorTargetEncoder):
    """Standardises each target column for the network and maps predictions back.

    The network then trains at unit scale whatever the units of y; means map
    back as ``mean_ + scale_ * z`` and standard deviations as ``scale_ * s``,
    in the shape of y: (n_rows,) for a 1-d y, (n_rows, n_outputs) otherwise.
    """

    def fit(self, y):
        super().fit(y)
        # The trailing shape of y, to give predictions back in it.
        self.output_shape_ = tuple(np.shape(y)[1:])
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        # Moments of y / max|y|, which lies in [-1, 1]: squares of targets
        # near 1e155 overflow, and any absolute floor is wrong at 1e-20.
        ref = np.abs(y).max(axis=0)
        ref = np.where(ref > 0, ref, 1.0)
        unit = y / ref
        mean = unit.mean(axis=0)
        std = unit.std(axis=0)
        self.mean_ = mean * ref
        # A constant column (up to rounding) keeps its own magnitude as scale.
        constant = std <= 10 * np.finfo(np.float64).eps * np.abs(mean)
        self.scale_ = np.where(constant, ref, std * ref)
        return self

    def transform(self, y):
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} output(s), but the estimator was fitted with "
                f"{self.n_outputs_}."
            )
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        # Two divisions instead of (y - mean_) / scale_, whose difference can
        # overflow for targets near the float64 limit.
        return (y / self.scale_ - self.mean_ / self.scale_).astype(np.float32)

    def inverse_transform(self, y):
        y = np.asarray(y, dtype=np.float64) * self.scale_ + self.mean_
        return y.reshape(-1, *self.output_shape_)

    def inverse_transform_std(self, std):
        std = np.asarray(std, dtype=np.float64) * self.scale_
        return std.reshape(-1, *self.output_shape_)
