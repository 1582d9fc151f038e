"""What an exported model computes: the graph of a fitted estimator.

One description serves ONNX, the SavedModel and the NumPy evaluation used
in the documentation: ``model_graph`` returns the graph with named outputs,
and ``output_names`` the names, for any supported fitted object.
"""

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .. import _keras
from .._version import __version__
from ..neural_network import MCDropoutClassifier, MCDropoutRegressor
from ..reject import RejectOptionClassifier, RejectOptionRegressor

# The largest set of n_samples masked kernels of one Dense layer written into
# an exported model; a larger layer multiplies by its masks instead.
MAX_FOLD_MB = 64

CLASSIFIER_OUTPUTS = (
    "label",
    "probabilities",
    "std",
    "entropy",
    "mutual_information",
)
REGRESSOR_OUTPUTS = ("mean", "std")
REASONS = ("accepted", "ambiguous", "novel")


def unwrap(model):
    """The fitted object without FrozenEstimator around it."""
    while isinstance(model, FrozenEstimator):
        model = model.estimator
    return model


def final_parts(model, max_fold_mb=MAX_FOLD_MB):
    """(steps before the exported estimator, the exported estimator).

    A Pipeline's preprocessing, and that of a Pipeline inside a reject
    option, are flattened into one list of (name, transformer) steps; the
    estimator is an MC estimator or a reject option around one (with its
    estimator reduced to the MC estimator).
    """
    model = unwrap(model)
    steps = []
    if isinstance(model, Pipeline):
        steps = list(model.steps[:-1])
        model = unwrap(model.steps[-1][1])
    if isinstance(model, (RejectOptionClassifier, RejectOptionRegressor)):
        check_is_fitted(model, "threshold_")
        if not hasattr(model, "estimator_"):
            raise ValueError(
                f"This {type(model).__name__} predicts with its "
                f"{len(model.estimators_)} fold model(s) (refit=False), which "
                "export cannot translate into one graph. Fit it with refit=True "
                "(one model refitted on all the rows), or around a "
                "FrozenEstimator of the model to export."
            )
        inner = unwrap(model.estimator_)
        if isinstance(inner, Pipeline):
            steps += list(inner.steps[:-1])
            inner = unwrap(inner.steps[-1][1])
        if not isinstance(inner, (MCDropoutClassifier, MCDropoutRegressor)):
            raise TypeError(_unsupported(inner))
        return steps, Head(inner, model, max_fold_mb)
    if isinstance(model, (MCDropoutClassifier, MCDropoutRegressor)):
        return steps, Head(model, None, max_fold_mb)
    raise TypeError(_unsupported(model))


def _unsupported(model):
    return (
        "Export translates a fitted MCDropoutClassifier or MCDropoutRegressor, "
        "a RejectOptionClassifier or RejectOptionRegressor around one, or a "
        "Pipeline ending in one of them (FrozenEstimator wrappers included); "
        f"got {type(model).__name__}."
    )


def _label_dtype(labels, what):
    kind = labels.dtype.kind
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "f":
        return np.dtype(np.float64)
    if kind in "US" or (kind == "O" and all(isinstance(v, str) for v in labels)):
        return np.dtype(object)
    raise TypeError(
        f"Export writes integer, float or string labels; {what} are "
        f"{labels.dtype} ({labels.tolist()[:5]}). Fit on labels of one of "
        "those types."
    )


class Head:
    """A fitted MC estimator, and the reject option around it if any.

    Parameters
    ----------
    estimator : MCDropoutClassifier or MCDropoutRegressor
        Fitted.
    reject : RejectOptionClassifier, RejectOptionRegressor or None
        Fitted, with ``estimator`` as its (unwrapped) estimator.
    max_fold_mb : float
        See ``sk_mcdropout.export.to_onnx``.
    """

    def __init__(self, estimator, reject=None, max_fold_mb=MAX_FOLD_MB):
        check_is_fitted(estimator)
        self.estimator = estimator
        self.reject = reject
        self.max_fold_mb = max_fold_mb
        self.is_classifier = isinstance(estimator, MCDropoutClassifier)
        self.n_passes = int(estimator.n_samples)
        self.n_features = int(estimator.n_features_in_)
        self._graph = None

    def __sklearn_tags__(self):
        # Read by skl2onnx's Pipeline parser; the outputs are this class's own
        # (no ZipMap), so it is no classifier to skl2onnx.
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False))

    @property
    def output_names(self):
        if self.is_classifier:
            extra = ("rejected", "reason") if self.reject is not None else ()
            return CLASSIFIER_OUTPUTS + extra
        return REGRESSOR_OUTPUTS + (("rejected",) if self.reject is not None else ())

    def label_values(self):
        """The labels ``label`` takes: the classes, then the reject label."""
        classes = np.asarray(self.estimator.classes_)
        dtype = _label_dtype(classes, "the classes")
        if self.reject is None:
            return classes.astype(dtype)
        label = np.asarray([self.reject.reject_label_])
        if _label_dtype(label, "the reject label") != dtype:
            raise TypeError(
                f"Export writes one label type: the classes are {classes.dtype} "
                f"and reject_label_={self.reject.reject_label_!r} is not. Set "
                "reject_label to a label of the classes' type."
            )
        return np.concatenate([classes, label]).astype(dtype)

    def graph(self):
        """(Graph, {output name: value}, network description); cached."""
        if self._graph is not None:
            return self._graph
        g = _keras.Graph()
        estimator = self.estimator
        samples, info = _keras.network_graph(
            g,
            estimator.model_,
            self.n_passes,
            estimator.mc_seed_,
            self.max_fold_mb * 2**20,
        )
        width = _keras.output_width(estimator.model_)
        if self.is_classifier:
            outputs = self._classifier(g, samples, width)
        else:
            outputs = self._regressor(g, samples)
        self._graph = (g, outputs, info)
        return self._graph

    def _classifier(self, g, samples, width):
        n_classes = len(self.estimator.classes_)
        heads = _keras.classifier_heads(g, samples, n_classes, width)
        index = heads["label_index"]
        outputs = {name: heads[name] for name in CLASSIFIER_OUTPUTS if name != "label"}
        labels = self.label_values()
        if self.reject is not None:
            rule = dict(
                measure=self.reject.measure,
                threshold=self.reject.threshold_,
                tiebreak=self.reject.tiebreak_threshold_,
                novelty_measure=(
                    None
                    if self.reject.novelty_quantile is None
                    else self.reject.novelty_measure
                ),
                novelty_threshold=self.reject.novelty_threshold_,
            )
            rejected, reason = _keras.reject_classifier_heads(
                g, heads, rule, self.n_passes, n_classes
            )
            index = g.op(
                "Where", rejected, g.const(np.int64(n_classes), np.int64), index
            )
            outputs["rejected"] = rejected
            outputs["reason"] = g.op(
                "Gather", g.const(np.array(REASONS, dtype=object), object), reason
            )
        constant = g.const(labels, labels.dtype)
        outputs["label"] = g.op("Gather", constant, index)
        return {name: outputs[name] for name in self.output_names}

    def _regressor(self, g, samples):
        estimator = self.estimator
        encoder = estimator.target_encoder_
        scale = np.asarray(encoder.scale_, np.float64)
        if estimator.noise_std_ is None:
            noise_var = None
            noise_scale = np.square(np.asarray(estimator.noise_scale_, np.float64))
        else:
            noise_var = np.square(np.asarray(estimator.noise_std_, np.float64) / scale)
            noise_scale = None
        spec = dict(
            n_outputs=int(estimator.n_outputs_),
            noise_var=noise_var,
            noise_scale=noise_scale,
            min_variance=_keras.MIN_VARIANCE,
            mean=np.asarray(encoder.mean_, np.float64),
            scale=scale,
        )
        mean, std = _keras.regressor_heads(g, samples, spec)
        outputs = {"mean": mean, "std": std}
        if self.reject is not None:
            if spec["n_outputs"] != 1:
                raise ValueError("A reject option is exported for one target only.")
            rule = dict(
                threshold=self.reject.threshold_,
                tiebreak=self.reject.tiebreak_threshold_,
            )
            flat_std = g.op("Squeeze", std, axes=[1])
            outputs["rejected"] = _keras.reject_regressor_heads(g, flat_std, rule)
        return outputs

    def metadata(self):
        """Plain facts about the exported model, stored with it."""
        estimator = self.estimator
        names = getattr(estimator, "feature_names_in_", None)
        meta = {
            "library": "sk_mcdropout",
            "library_version": __version__,
            "estimator": type(estimator).__name__,
            "n_samples": self.n_passes,
            "mc_seed": int(estimator.mc_seed_),
            "n_features_in": self.n_features,
            "feature_names_in": None if names is None else [str(n) for n in names],
            "outputs": list(self.output_names),
        }
        if self.is_classifier:
            meta["classes"] = np.asarray(estimator.classes_).tolist()
        if self.reject is not None:
            meta["reject_option"] = type(self.reject).__name__
            meta["threshold"] = float(self.reject.threshold_)
            if self.is_classifier:
                meta["reject_label"] = np.asarray(self.reject.reject_label_).item()
        return meta
