"""Parameter descriptions written once and shared by several docstrings.

A docstring that uses a fragment names it in braces (``{random_state}``) and
its object is decorated with ``@Substitution(random_state=...)``; literal
braces in such a docstring are doubled (``{{"a", "b"}}``). Fragments are
full numpydoc entries (name, type and description, the description indented
by four spaces, as they appear under ``Parameters``); a fragment on a line of
its own takes that line's indentation, so the same fragment fits a class
docstring and a method's. Every docstring that shares one says the same,
complete thing.

The fragments of the two Monte Carlo dropout estimators follow
``Substitution``: ``MC_DROPOUT_PARAMETERS`` and ``MC_DROPOUT_ATTRIBUTES``,
plus the functions for the few entries whose default or wording differs.
"""

import re
import textwrap

# A field alone on its line, and its indentation.
_OWN_LINE = re.compile(r"^([ \t]*)\{(\w+)\}[ \t]*$", flags=re.M)


class Substitution:
    """Fill the ``{name}`` fields of the decorated object's docstring.

    Parameters
    ----------
    **fragments : str
        The text of each field.

    Examples
    --------
    >>> @Substitution(seed="seed : int\\n    Seeds everything.")
    ... def f(seed):
    ...     '''Do nothing.
    ...
    ...     Parameters
    ...     ----------
    ...     {seed}
    ...     '''
    >>> name, description = f.__doc__.splitlines()[-3:-1]
    >>> name.strip(), description.strip()
    ('seed : int', 'Seeds everything.')
    >>> len(description) - len(description.lstrip()) - (len(name) - len(name.lstrip()))
    4
    """

    def __init__(self, **fragments):
        self.fragments = fragments

    def __call__(self, obj):
        if obj.__doc__:
            obj.__doc__ = fill(obj.__doc__, self.fragments)
        return obj


def fill(doc, fragments):
    """``doc`` with its fields filled; each own-line field indented as its line."""
    values = dict(fragments)

    def indented(match):
        indent, name = match.groups()
        key = f"{name}_indented_{len(indent)}"
        values[key] = textwrap.indent(fragments[name], indent)[len(indent) :]
        return f"{indent}{{{key}}}"

    return _OWN_LINE.sub(indented, doc).format(**values)


# --------------------------------------------------------------------------
# MCDropoutClassifier and MCDropoutRegressor
# --------------------------------------------------------------------------


def dropout_rate(default):
    """The ``p`` entry, with its default."""
    return f"""\
p : float in [0, 1), "concrete" or None, default={default}
    Dropout rate, set on every ``Dropout`` layer of the network, the
    built-in network's or a user's, when it is built. None keeps the rates
    the user's network was built with (not allowed with ``model=None``).
    Grid-searchable: ``GridSearchCV(estimator, {{"p": [0.1, 0.3]}})``.
    ``"concrete"`` learns a rate per dropout layer instead (concrete
    dropout, Gal, Hron & Kendall 2017): the built-in network then uses
    :class:`ConcreteDropout` layers, and a user's network must have some
    (its Dropout layers keep their rates). Learnt rates are in
    ``dropout_rates_``."""


def early_stopping(split, score):
    """The ``early_stopping`` entry: how the rows are held out, what is scored."""
    return f"""\
early_stopping : bool, default=False
    As in ``MLPClassifier``: hold out ``validation_fraction`` of the
    training rows ({split}), score the network on them after every epoch
    ({score} of the deterministic pass, dropout off), stop once the score
    has not improved by at least ``tol`` for more than ``n_iter_no_change``
    consecutive epochs, and restore the weights of the best epoch.
    ``partial_fit`` never stops early. Not together with
    ``validation_split`` (a ValueError says so)."""


def validation_scores(score):
    """The ``validation_scores_`` entry, with the score's name."""
    return f"""\
validation_scores_ : list of float or None
    {score} on the held-out rows after each epoch, with ``early_stopping``;
    None otherwise."""


MC_DROPOUT_PARAMETERS = dict(
    hidden_layer_sizes="""\
hidden_layer_sizes : int or array-like of int, default=(100,)
    Units of each hidden layer of the built-in network (``model=None``),
    each followed by a ``Dropout`` layer; an int is one hidden layer, as in
    ``MLPClassifier``. Ignored with a user's ``model``.""",
    activation="""\
activation : str or callable, default="relu"
    Activation of the hidden layers of the built-in network: a Keras
    activation name (``"relu"``, ``"tanh"``, ``"gelu"``, ...) or a callable.
    Ignored with a user's ``model``.""",
    n_samples="""\
n_samples : int, default=100
    Number of stochastic forward passes at prediction time (not a number of
    rows). A prediction-time parameter: ``set_params(n_samples=k)`` on a
    fitted estimator takes effect without refitting, and pass ``k`` is the
    same pass whatever ``n_samples`` is. It sets the precision of the Monte
    Carlo mean, not the model's capacity: with 100 passes or more, a row's
    predicted mean is within a few ``predict_uncertainty(X) /
    sqrt(n_samples)`` (its standard error) of the mean of infinitely many
    passes, so choose it from the error you accept rather than by a search.
    Ten or thirty passes can miss the rare passes that fall far from the
    others, and then the standard error is too small as well.""",
    epochs="""\
epochs : int, default=50
    Number of training epochs. All of them run unless a stopping rule is
    asked for: ``early_stopping=True``, or an int ``n_iter_no_change``
    (``n_iter_`` says how many ran).""",
    batch_size="""\
batch_size : int or None, default=None
    Training batch size; None is Keras' default of 32.""",
    optimizer="""\
optimizer : str, keras optimizer class or instance, default="adam"
    Optimizer, by name, class or instance. Its parameters are routed by
    scikeras (``optimizer__beta_1=...``).""",
    learning_rate="""\
learning_rate : float or None, default=0.001
    Learning rate of an optimizer given as a string or class. Ignored when
    ``optimizer__learning_rate`` is set or ``optimizer`` is an instance;
    None keeps the optimizer's default.""",
    max_chunk_memory="""\
max_chunk_memory : float, default=256
    Memory budget, in MiB, of one compiled call at prediction time. Rows
    are processed in chunks so that ``n_samples`` x chunk rows x the widest
    layer stays inside it; memory use is bounded whatever the number of
    rows. A sparse X is made dense one chunk at a time. Changes speed only,
    never results.""",
    random_state="""\
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, shuffling, training dropout, the rows held
    out by ``early_stopping`` and the prediction masks. An int gives the same
    fitted model and predictions on every fit, bit for bit. Global random
    state (Python, NumPy, TensorFlow) is left as it was found.""",
    verbose="""\
verbose : int, default=0
    0 is silent. 1 shows Keras' training progress (with Keras' own training
    loop) and a progress bar over rows during long predictions.""",
    warm_start="""\
warm_start : bool, default=False
    Continue training the current network (weights and optimizer state) on
    the next ``fit`` instead of building a new one.""",
    validation_fraction="""\
validation_fraction : float in (0, 1), default=0.1
    Share of the training rows held out for early stopping. Only used if
    ``early_stopping`` is True.""",
    n_iter_no_change="""\
n_iter_no_change : int >= 1, np.inf or None, default=None
    Epochs without an improvement of at least ``tol`` tolerated before
    training stops. With ``early_stopping``, of the validation score (None
    is 10, as in ``MLPClassifier``). Without it, an int turns on
    ``MLPClassifier``'s rule on the training loss, which with dropout is
    noisy and tends to stop long before ``epochs``; None (or ``np.inf``)
    trains every epoch.""",
    tol="""\
tol : float >= 0, default=1e-4
    Smallest improvement of the loss or score that counts. Only used by a
    stopping rule (see ``n_iter_no_change``).""",
    memory="""\
memory : str, path, joblib.Memory or None, default=None
    Cache of fitted networks, as in ``Pipeline(memory=...)``: a directory
    or a ``joblib.Memory``. With an int ``random_state``, a fit whose
    training parameters, data (X, y, ``sample_weight``) and random_state
    equal an earlier fit's loads that fit from disk (network, encoders,
    history, a regressor's noise estimate) instead of training again, so
    ``GridSearchCV`` over ``n_samples`` trains one network per fold, and over
    ``p`` and ``n_samples`` one per value of ``p`` and fold.
    Prediction-time parameters (``n_samples``, ``max_chunk_memory``,
    ``verbose``) are not part of the key; all others are, including routed
    ones, the build function's source and the library versions. A cached
    model predicts exactly what a freshly trained one would. Works across
    processes sharing the directory. Not used when ``random_state`` is None
    or a RandomState, nor by ``warm_start`` and ``partial_fit``. On a cache
    hit no callback runs. The cache does not see code that a build function
    calls (clear it after editing such code), and it is never cleared
    automatically.""",
    callbacks="""\
callbacks : list of keras callbacks or None, default=None
    Keras callbacks (instances, or classes that scikeras builds with the
    ``callbacks__*`` parameters), run while training. Epoch-level hooks run
    in the compiled training loop; a callback with per-batch hooks makes
    training use ``keras.Model.fit``.""",
    metrics="""\
metrics : list of str or keras metrics, or None, default=None
    Metrics Keras computes while training, per epoch in ``history_``
    (``history_["accuracy"]``, and ``"val_accuracy"`` with
    ``validation_split``).""",
    validation_split="""\
validation_split : float in [0, 1), default=0.0
    Share of the training rows, the last ones, that Keras holds out to
    report ``val_*`` losses and metrics in ``history_``; they are not trained
    on. Not together with ``early_stopping``.""",
    validation_batch_size="""\
validation_batch_size : int or None, default=None
    Batch size for the rows held out by ``validation_split``; None is
    ``batch_size``.""",
    shuffle="""\
shuffle : bool or "batch", default=True
    Whether to shuffle the training rows before each epoch (seeded by
    ``random_state``); ``"batch"`` is Keras' shuffling in batch-sized chunks
    and uses ``keras.Model.fit``.""",
    run_eagerly="""\
run_eagerly : bool, default=False
    Run the network eagerly (for debugging); training then uses
    ``keras.Model.fit`` and is much slower.""",
    build_fn="""\
build_fn : None, default=None
    The former scikeras name of ``model``, kept for its signature; only None
    is accepted (give the network as ``model``).""",
    kwargs="""\
**kwargs
    Routed parameters, by prefix: ``model__*`` to the build function (or,
    without prefix, a keyword the build function takes, such as the
    built-in network's ``length_scale``), ``optimizer__*``, ``loss__*``,
    ``metrics__*``, ``fit__*`` (``keras.Model.fit``), ``compile__*``
    (``keras.Model.compile``), ``callbacks__*`` and ``predict__*`` (kept,
    though the Monte Carlo passes do not use ``keras.Model.predict``).
    Any other keyword is refused at ``fit``, with the closest valid name.""",
)

MC_DROPOUT_ATTRIBUTES = dict(
    n_features_in_="""\
n_features_in_ : int
    Number of features seen during fit.""",
    feature_names_in_="""\
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Feature names, when X was a DataFrame with string column names.""",
    model_="""\
model_ : keras.Model
    The trained network.""",
    history_="""\
history_ : dict
    Training history, per epoch: ``"loss"``, the ``metrics`` and their
    ``val_*`` counterparts. Each ``fit`` starts it anew (scikeras'
    behaviour, warm starts included); ``partial_fit`` extends it.""",
    mc_seed_="""\
mc_seed_ : int
    Seed of the Monte Carlo masks used at prediction time.""",
    n_iter_="""\
n_iter_ : int
    Number of epochs in ``history_``: those of the last ``fit`` (a
    warm-started one too), plus one per ``partial_fit`` call since.""",
    loss_curve_="""\
loss_curve_ : list of float
    Training loss at the end of each epoch (``history_["loss"]``).""",
    best_validation_score_="""\
best_validation_score_ : float or None
    Best of ``validation_scores_`` (its epoch's weights are the fitted
    ones), with ``early_stopping``; None otherwise.""",
    best_loss_="""\
best_loss_ : float or None
    Lowest training loss, without ``early_stopping``; None with it.""",
    dropout_rates_="""\
dropout_rates_ : ndarray of shape (n_dropout_layers,)
    Rate of each dropout layer of ``model_``, in layer order (learnt ones
    for ``ConcreteDropout`` layers).""",
    initialized_="""\
initialized_ : bool
    Whether the network is built (``model_`` exists).""",
    target_encoder_="""\
target_encoder_ : transformer
    The fitted encoder of the targets for the network (scikeras').""",
    feature_encoder_="""\
feature_encoder_ : transformer
    The fitted encoder of X for the network (the identity).""",
    n_outputs_expected_="""\
n_outputs_expected_ : int
    Number of outputs the network has (scikeras' metadata, passed to build
    functions as ``meta``).""",
    target_type_="""\
target_type_ : str
    Type of the training target, as ``sklearn.utils.multiclass.type_of_target``
    gives it.""",
    y_dtype_="""\
y_dtype_ : numpy.dtype
    Dtype of the training target.""",
    y_ndim_="""\
y_ndim_ : int
    Number of dimensions of the training target.""",
    X_dtype_="""\
X_dtype_ : numpy.dtype
    Dtype of the training data as the network saw it (float32).""",
    X_shape_="""\
X_shape_ : tuple of int
    Shape of the training data.""",
)

MC_DROPOUT_FIT = dict(
    fit_X="""\
X : {array-like, sparse matrix} of shape (n_rows, n_features)
    Training data (numeric; a DataFrame records its column names). A sparse
    matrix or array is made dense (float32) once, before training: the
    training loop gathers each batch from one tensor holding every row, as
    do Keras' own loop, the ``early_stopping`` split and a regressor's noise
    estimate, so sparse and dense X train the same network, bit for bit.
    Prediction densifies a sparse X one chunk of rows at a time.""",
    sample_weight="""\
sample_weight : array-like of shape (n_rows,), default=None
    Non-negative row weights; rows of weight zero are dropped. None weighs
    every row 1.""",
    fit_kwargs="""\
**kwargs : dict
    Passed to ``keras.Model.fit`` (prefer ``fit__`` parameters, which
    ``GridSearchCV`` and ``clone`` see).""",
)
