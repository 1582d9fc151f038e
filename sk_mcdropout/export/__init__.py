"""Export a fitted model to ONNX or to a TensorFlow SavedModel.

A fitted :class:`~sk_mcdropout.MCDropoutClassifier` or
:class:`~sk_mcdropout.MCDropoutRegressor` at its ``n_samples`` is a fixed
ensemble: pass k multiplies every Dropout layer's inputs by a mask fixed by
the fitted seed and shared by all rows. The exported graph holds those masks
as constants (folded into the Dense kernels where the file size allows), so
it has no random operation, gives the same answer on every call and equals
``predict_proba``, ``predict_uncertainty`` and ``predict(return_std=True)``
up to float32 rounding. Keras' own ``Model.export`` and tf2onnx run the
network with ``training=False``, where dropout, and with it the uncertainty,
disappears.

Needs the ``export`` extra: ``pip install 'sk-mcdropout[export]'`` (onnx,
skl2onnx and onnxruntime).
"""

import os

import numpy as np

from .. import _atomic, _keras
from ._onnx import MIN_OPSET, register_converters
from ._onnx import convert as _convert
from ._spec import MAX_FOLD_MB, final_parts

__all__ = ["register_converters", "to_onnx", "to_saved_model"]

_OUTPUTS_DOC = """    Outputs, by name (rows is the number of input rows):

    - a classifier: ``label`` (rows,), the class of largest mean
      probability, as ``predict``; ``probabilities`` (rows, n_classes), as
      ``predict_proba``; ``std`` (rows, n_classes), as
      ``predict_uncertainty``; ``entropy`` and ``mutual_information``
      (rows,), as :func:`sk_mcdropout.uncertainty.predictive_entropy` and
      :func:`~sk_mcdropout.uncertainty.mutual_information` of the passes;
    - a regressor: ``mean`` and ``std`` (rows, n_outputs), as
      ``predict(X, return_std=True)`` (the std includes the observation
      noise);
    - a reject option: the outputs of its estimator, ``label`` being
      ``reject_label_`` for rejected rows as in its ``predict``, and
      ``rejected`` (rows,), bool, as its ``reject``; a
      :class:`~sk_mcdropout.RejectOptionClassifier` also gives ``reason``
      (rows,), ``"accepted"``, ``"ambiguous"`` or ``"novel"``, as
      ``reject(X, return_reason=True)``.

    Probabilities, std and measures are float64 (the network runs in
    float32, as in the estimator); labels are int64, float64 or strings, as
    the classes. A classifier has no ZipMap: ``probabilities`` is a tensor
    whose columns follow ``classes_``.
"""


def to_onnx(model, X_sample, *, path=None, target_opset=None, max_fold_mb=MAX_FOLD_MB):
    """Export a fitted model, or a whole Pipeline, to ONNX.

        The preprocessing steps of a Pipeline (a ``ColumnTransformer`` with
        one-hot encoding, imputation, scaling, ...) are converted by skl2onnx's
        own converters, and the Monte Carlo ensemble of the final estimator is
        written from its Keras layers (Dense, its activations, Dropout with its
        fixed masks, ConcreteDropout, BatchNormalization in inference mode,
        Activation, Softmax, ReLU, Concatenate, Add); any other layer is refused
        with an error naming it. The graph has no random operation.

    %(outputs)s
        Parameters
        ----------
        model : estimator or Pipeline
            A fitted :class:`~sk_mcdropout.MCDropoutClassifier` or
            :class:`~sk_mcdropout.MCDropoutRegressor`, a fitted
            :class:`~sk_mcdropout.RejectOptionClassifier` or
            :class:`~sk_mcdropout.RejectOptionRegressor` around one (or around a
            Pipeline ending in one), or a Pipeline ending in any of these;
            ``FrozenEstimator`` wrappers are looked through.
        X_sample : array-like or DataFrame
            A few rows of input, which fix the inputs' names and types as in
            ``skl2onnx.to_onnx``: an array gives one input ``"X"`` of shape
            (rows, n_features) (float32 for a bare estimator); a DataFrame gives
            one input per column, named after it, of shape (rows, 1).
        path : str or path-like, default=None
            If given, the model is also written there, through a temporary file
            beside it that replaces the target only once complete.
        target_opset : int, default=None
            ONNX opset; None is skl2onnx's default. At least 13.
        max_fold_mb : float, default=64
            A Dropout layer's masks are folded into the next Dense layer's
            kernel (one masked kernel per pass, ``n_samples`` times its size)
            when that takes at most this many MiB; otherwise its constant masks
            multiply the activations. Changes the file size and speed, not the
            results.

        Returns
        -------
        onnx_model : onnx.ModelProto
            The model; its ``metadata_props`` hold the library version,
            ``n_samples``, the seed, the classes and the feature names.

        See Also
        --------
        to_saved_model : The same ensemble as a TensorFlow SavedModel.

        Examples
        --------
        >>> import numpy as np
        >>> import onnxruntime as ort
        >>> from sklearn.datasets import load_iris
        >>> from sk_mcdropout import MCDropoutClassifier
        >>> from sk_mcdropout.export import to_onnx
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MCDropoutClassifier(hidden_layer_sizes=(16,), epochs=5,
        ...                           n_samples=20, random_state=0).fit(X, y)
        >>> onx = to_onnx(clf, X[:1])
        >>> [o.name for o in onx.graph.output]
        ['label', 'probabilities', 'std', 'entropy', 'mutual_information']
        >>> session = ort.InferenceSession(onx.SerializeToString(),
        ...                                providers=["CPUExecutionProvider"])
        >>> label, proba, std, _, _ = session.run(None, {"X": X[:5].astype(np.float32)})
        >>> bool(np.abs(proba - clf.predict_proba(X[:5])).max() < 1e-5)
        True
        >>> label.tolist() == clf.predict(X[:5]).tolist()
        True
    """
    if target_opset is not None and target_opset < MIN_OPSET:
        raise ValueError(
            f"The 'target_opset' parameter of to_onnx must be at least "
            f"{MIN_OPSET}. Got {target_opset!r} instead."
        )
    if max_fold_mb < 0:
        raise ValueError(
            "The 'max_fold_mb' parameter of to_onnx must be a float in the range "
            f"[0, inf). Got {max_fold_mb!r} instead."
        )
    steps, head = final_parts(model, max_fold_mb)
    proto = _convert(steps, head, X_sample, target_opset)
    if path is not None:
        with _atomic.replaced_file(path) as f:
            f.write(proto.SerializeToString())
    return proto


to_onnx.__doc__ = to_onnx.__doc__ % {"outputs": _OUTPUTS_DOC}


def to_saved_model(model, path, *, max_fold_mb=MAX_FOLD_MB):
    """Export a fitted model to a TensorFlow SavedModel.

    The SavedModel has one signature, ``serving_default``: a float32 input
    ``X`` of shape (None, n_features), the features as the estimator sees
    them (no preprocessing: export a Pipeline with :func:`to_onnx`), and the
    outputs of :func:`to_onnx` by the same names. It loads with
    ``tf.saved_model.load`` or ``saved_model_cli`` (and TF Serving) where
    this library is not installed; the Monte Carlo masks are constants in
    it, so it has no random operation.

    Metadata (library version, ``n_samples``, seed, ``classes_``,
    ``feature_names_in_``) is stored in the model as the JSON string
    variable ``metadata`` and in ``assets/sk_mcdropout.json``.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~sk_mcdropout.MCDropoutClassifier` or
        :class:`~sk_mcdropout.MCDropoutRegressor`, or a fitted reject option
        around one (``FrozenEstimator`` wrappers are looked through).
    path : str or path-like
        The folder to write. It is written beside its place, then replaces
        an existing folder in one step, so an interrupted export leaves the
        previous model intact.
    max_fold_mb : float, default=64
        As in :func:`to_onnx`.

    Returns
    -------
    path : str
        The folder written.

    See Also
    --------
    to_onnx : The same ensemble, and a Pipeline's preprocessing, as ONNX.

    Examples
    --------
    >>> import os, tempfile
    >>> import tensorflow as tf
    >>> from sklearn.datasets import load_iris
    >>> from sk_mcdropout import MCDropoutClassifier
    >>> from sk_mcdropout.export import to_saved_model
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MCDropoutClassifier(hidden_layer_sizes=(16,), epochs=5,
    ...                           n_samples=20, random_state=0).fit(X, y)
    >>> path = to_saved_model(clf, os.path.join(tempfile.mkdtemp(), "clf"))
    >>> serve = tf.saved_model.load(path).signatures["serving_default"]
    >>> out = serve(X=tf.constant(X[:5], tf.float32))
    >>> sorted(out)
    ['entropy', 'label', 'mutual_information', 'probabilities', 'std']
    >>> bool(abs(out["probabilities"].numpy() - clf.predict_proba(X[:5])).max() < 1e-5)
    True
    """
    steps, head = final_parts(model, max_fold_mb)
    if steps:
        raise TypeError(
            "to_saved_model exports the estimator alone, whose input is the "
            "features it was fitted on; this model has preprocessing steps "
            f"({', '.join(name for name, _ in steps)}). Export the Pipeline with "
            "to_onnx, or the final estimator with its preprocessing done "
            "before serving."
        )
    g, outputs, _ = head.graph()
    path = os.fspath(path)
    _keras.save_saved_model(g, outputs, head.n_features, path, head.metadata())
    return path


def _numpy_outputs(model, X):
    """The exported outputs evaluated with NumPy, for checks and examples."""
    _, head = final_parts(model)
    g, outputs, _ = head.graph()
    values = _keras.evaluate(g, outputs, np.asarray(X, dtype=np.float32))
    return {name: values[name] for name in head.output_names}
