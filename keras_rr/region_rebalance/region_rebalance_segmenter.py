"""`RegionRebalanceSegmenter`: trains any segmenter with the Region Rebalance loss.

The wrapper is where the method meets `fit`: `compute_loss` adds
`loss_weight * region loss` (from `RegionRebalanceHead`) to the pixel loss, averaged
over the global batch under a distribution strategy (paper eq. 9, docs/method.md
section 3), and, when asked, mmsegmentation's auxiliary FCN loss (another
training-only branch). Outside training it is the plain segmenter.
"""

import contextlib
import warnings

import keras
import numpy as np
from keras import ops

from keras_rr import replica_context
from keras_rr import validation
from keras_rr.data.elements import extract_label
from keras_rr.data.elements import split_element
from keras_rr.export.export_segmenter import export_segmenter
from keras_rr.inference.predict import model_input_size
from keras_rr.networks.decode_heads.auxiliary_fcn_head import AUXILIARY_FEATURES
from keras_rr.networks.decode_heads.auxiliary_fcn_head import AuxiliaryFCNHead
from keras_rr.networks.segmenters.normalized_segmenter import NormalizedSegmenter
from keras_rr.pixel_losses.blv_cross_entropy import track_loss_seed_generator
from keras_rr.pixel_losses.masked_cross_entropy import masked_cross_entropy
from keras_rr.region_rebalance.region_rebalance_head import RegionRebalanceHead
from keras_rr.region_rebalance.region_rebalance_head import region_head_options
from keras_rr.region_rebalance.segmenter_tap import tap_segmenter


def _with_region_branch(method_name):
    """`keras.Model.<method_name>` with the labels checked and the region branch active.

    `fit`, `evaluate`, `train_on_batch` and `test_on_batch` are the entry points whose
    steps call `compute_loss`; inside them `call` returns the logits and decoder features
    the loss needs instead of the segmenter's output.
    """
    base = getattr(keras.Model, method_name)

    def method(self, x=None, y=None, *args, **kwargs):
        self._check_first_labels(x, y)
        # `fit` runs its validation through `self.evaluate`: that nested call reports
        # nothing, its counts reach `fit`'s logs as `val_out_of_range_pixels`.
        nested = self._emit_training_outputs
        if method_name == "fit" and self.out_of_range == "error" and not nested:
            kwargs = _with_out_of_range_guard(self, args, kwargs)
        with self._training_outputs():
            result = base(self, x, y, *args, **kwargs)
        self._warn_on_region_overflow()
        if not nested:
            self._report_out_of_range(result if method_name == "fit" else None)
        return result

    method.__name__ = method_name
    method.__doc__ = (
        f"`keras.Model.{method_name}` with the Region Rebalance branch active.\n\n"
        "Labels visible before the first step (NumPy arrays, the first batch of a "
        "`tf.data` dataset) are checked for class ids outside `[0, num_classes)`; ids "
        "outside it in later batches are counted (`out_of_range_pixels`) and reported "
        "as the wrapper's `out_of_range` option says."
    )
    return method


OUT_OF_RANGE_ACTIONS = ("ignore", "warn", "error")
_OUT_OF_RANGE_METRIC = "out_of_range_pixels"


class _PixelCount(keras.metrics.Metric):
    """A running count of pixels: `keras.metrics.Sum` for one scalar per step, in one update.

    `Sum.update_state` standardises shapes and weights first: dozens more operator calls
    per step on eager torch, each costing host time (the wrapper's budget of calls is
    tested in tests/benchmarks/test_benchmark_helpers.py).
    """

    def __init__(self, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, count):
        self.total.assign_add(ops.cast(count, self.dtype))

    def result(self):
        return ops.cast(self.total, self.dtype)


class _OutOfRangeGuard(keras.callbacks.Callback):
    """Raises at the end of the first `fit` epoch whose labels held out-of-range ids.

    Reads only the epoch logs (already on the host), so no step waits for it.
    """

    def __init__(self, model):
        super().__init__()
        self._wrapper = model

    def on_epoch_end(self, epoch, logs=None):
        found = _out_of_range_in_logs({key: [value] for key, value in (logs or {}).items()})
        if found:
            raise ValueError(self._wrapper._out_of_range_message(found, where=f"epoch {epoch + 1}"))


def _with_out_of_range_guard(model, args, kwargs):
    """`fit`'s kwargs with an `_OutOfRangeGuard` added to its callbacks.

    When the callbacks were passed positionally the guard is left out: the error then
    comes when `fit` returns, from its history.
    """
    if len(args) >= 4:  # batch_size, epochs, verbose, callbacks
        return kwargs
    callbacks = kwargs.get("callbacks")
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        return kwargs  # a CallbackList the caller manages
    return {**kwargs, "callbacks": list(callbacks or []) + [_OutOfRangeGuard(model)]}


def _out_of_range_in_logs(history):
    """`{"training"|"validation": largest epoch count}` of logs with out-of-range ids."""
    found = {}
    for prefix, where in (("", "training"), ("val_", "validation")):
        values = [float(v) for v in history.get(prefix + _OUT_OF_RANGE_METRIC, ()) if v is not None]
        if values and max(values) > 0:
            found[where] = max(values)
    return found


def _region_head(region_head, num_classes, region_frequency, ignore_class, options):
    """The `RegionRebalanceHead` for the wrapper's `region_head` argument and head options."""
    if region_head is None:
        return RegionRebalanceHead(
            num_classes, region_frequency=region_frequency, ignore_class=ignore_class, name="region_head", **options
        )
    if not isinstance(region_head, RegionRebalanceHead):
        raise ValueError(
            "`region_head` must be a `keras_rr.layers.RegionRebalanceHead` (or None to build one from the "
            f"head options). Received: region_head={region_head!r}"
        )
    if options or region_frequency is not None:
        given = sorted(options) + (["region_frequency"] if region_frequency is not None else [])
        raise ValueError(
            f"Pass the region head's options to the head you pass as `region_head`, not to the wrapper. "
            f"Received: region_head and {given}"
        )
    if region_head.num_classes != num_classes:
        raise ValueError(
            f"The region head classifies {region_head.num_classes} classes but num_classes={num_classes}."
        )
    return region_head


def _auxiliary_head(head, num_classes):
    """The auxiliary head layer for the `auxiliary_head` argument (None, True or a layer)."""
    if head is None or head is False:
        return None
    if head is True:
        return AuxiliaryFCNHead(num_classes, name="auxiliary_head")
    if not isinstance(head, AuxiliaryFCNHead):
        raise ValueError(
            "`auxiliary_head` must be None, True or a `keras_rr.models.AuxiliaryFCNHead` (or a subclass: "
            f"its `compute_loss` and `loss_weight` are what `fit` uses). Received: auxiliary_head={head!r}"
        )
    return head


def _has_image_converter(segmenter):
    preprocessor = getattr(segmenter, "preprocessor", None)
    return getattr(preprocessor, "image_converter", None) is not None


@keras.saving.register_keras_serializable(package="keras_rr")
class RegionRebalanceSegmenter(keras.Model):
    """Wraps a segmentation model with the Region Rebalance training branch.

    During `fit`/`evaluate` the wrapper reads the segmenter's decoder features and pixel
    logits (`feature_model`), and its `region_head` (a
    `keras_rr.layers.RegionRebalanceHead`) pools the features over every (image,
    ground-truth class) region, classifies each region and scores it with the
    balanced-softmax region loss and the region-frequency prior. The total is
    `loss = pixel_loss + loss_weight * region_loss` (paper eq. 9).

    Outside training the branch does not exist: `predict`, `__call__` and
    `.segmenter` give exactly the wrapped model's outputs, and
    `keras_rr.export.export_segmenter` writes the plain segmenter.

    Args:
        segmenter: a functional `keras.Model` mapping images `(B, H, W, 3)` to per-pixel
            class scores `(B, h, w, K)`: KerasHub `DeepLabV3ImageSegmenter` or
            `SegFormerImageSegmenter`, KerasCV `DeepLabV3Plus`, a
            `keras_rr.models.NormalizedSegmenter`, or any functional model (name its
            decoder feature layer with `feature_layer` if not found). A KerasHub task
            with a `preprocessor` is wrapped in a `NormalizedSegmenter` (its image
            converter's scale and offset move into the graph), so `predict` equals
            `task.predict` and the model takes raw RGB images in [0, 255].
        num_classes: int. Number of classes `K`.
        region_frequency: F(k), the number of training images containing class k:
            array-like `(K,)`, a `keras_rr.data.ClassStatistics`, or the path of a
            statistics JSON written by `python -m keras_rr.tools.dataset_stats`. Zeros
            are clamped to 1. Required unless `rebalance=False`.
        feature_layer: str or None. Name of the layer whose output the pixel classifier
            reads. Defaults to `None` (found automatically).
        loss_weight: float. λ, the weight of the region loss. Defaults to `0.3`.
        ignore_class: int or None. Label of unlabeled pixels. Defaults to `255`.
        pool_before_upsampling: bool. If the classifier reads a bilinearly upsampled
            decoder map (KerasHub DeepLabV3 upsamples 4x right before it, as does
            KerasCV DeepLabV3Plus), pool the map before the upsampling: the region
            means differ only by interpolation at region borders and the pooling costs
            16x less (docs/results/benchmarks.md). `False` pools exactly the classifier's
            input. Ignored when `feature_layer` is given. Defaults to `True`.
        region_head: a `keras_rr.layers.RegionRebalanceHead` or None. The region
            branch's head, built by you (e.g. `RegionRebalanceHead.from_preset("authors",
            K, F)`); None builds one from `num_classes`, `region_frequency`,
            `ignore_class` and the head options in `**kwargs`. Defaults to `None`.
        region_branch: bool. `False` trains without the region branch (a baseline with
            only the auxiliary head): no `region_head`, no `region_loss`, and
            `region_frequency` is not needed. Defaults to `True`.
        auxiliary_head: None, `True` or a `keras_rr.models.AuxiliaryFCNHead`.
            mmsegmentation's auxiliary FCN head, a second training-only branch: it
            reads the segmenter's `auxiliary_feature_layer` map and
            `auxiliary_head.loss_weight * auxiliary_head.compute_loss(...)` is added
            (its logits resized to the labels and scored with the compiled pixel loss;
            `fit` logs the unweighted loss as `auxiliary_loss`). `True` builds
            `AuxiliaryFCNHead(num_classes)` (mmseg's: 256 channels, dropout 0.1,
            weight 0.4). Its weights live in the wrapper, never in the segmenter or an
            export. Defaults to `None`.
        auxiliary_feature_layer: str. The segmenter's top-level layer the auxiliary
            head reads. Defaults to `"auxiliary_features"` (the stage-3 map of
            `keras_rr.models.uper_net_*`, `psp_net_resnet_c` and
            `deeplab_v3_plus_resnet_c`).
        out_of_range: str. What to do about label ids outside `[0, num_classes)` that
            are not `ignore_class`, which compiled steps cannot raise on and treat as
            ignored (eager labels and the first `tf.data` batch are checked before
            training and raise). `"warn"`: count them in every step, log the count as
            `out_of_range_pixels` (pixels so far in the epoch, over all replicas) and
            warn once when `fit` / `evaluate` returns.
            `"error"`: the same count, and a `ValueError` naming it and the fix at the
            end of the first `fit` epoch that saw any (or when `evaluate` /
            `*_on_batch` returns). `"ignore"`: no count, no metric. Defaults to
            `"warn"`.
        **kwargs: the region head's options, a convenience for `region_head=None`:
            any `keras_rr.layers.RegionRebalanceHead` argument but `num_classes`,
            `region_frequency` and `ignore_class` (`rebalance`, `pooling_resolution`,
            `projection_dim`, `max_regions_per_image`, ...; see that class: its
            defaults are the paper's head, `**keras_rr.layers.AUTHORS_HEAD` the
            authors' released one, to train with `loss_weight=1.0`); and
            `keras.Model` arguments such as `name`.

    Attributes:
        segmenter: the wrapped model (what `predict` and the export run); for a KerasHub
            task with a preprocessor, the `NormalizedSegmenter` around it.
        region_head: the `RegionRebalanceHead` (region pooling, classifier, loss), or
            None when `region_branch=False`.
        region_classifier: the head's region classifier (None without a region head).
        auxiliary_head: the auxiliary head layer, or None.
        feature_model: a functional model `images -> (pixel logits, decoder features)`
            built from the segmenter's own layers (shared weights), plus the auxiliary
            head's logits as a third output when there is one.
        feature_description: str. Which tensor the region branch pools.
        outputs_probabilities: bool. Whether the segmenter ends in a softmax (the pixel
            loss still receives the logits before it).

    Example:

    ```python
    segmenter = keras_hub.models.DeepLabV3ImageSegmenter(backbone=..., num_classes=150)
    model = keras_rr.models.RegionRebalanceSegmenter(
        segmenter, num_classes=150, region_frequency="ade20k_train_stats.json")
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9))
    model.fit(train_ds, epochs=...)   # logs loss, pixel_loss, region_loss, out_of_range_pixels
    scores = model.predict(images)    # == segmenter.predict(images)
    ```

    Reference:
        [Cui et al., Region Rebalance for Long-Tailed Semantic Segmentation](
        https://arxiv.org/abs/2204.01969)
    """

    def __init__(
        self,
        segmenter,
        num_classes,
        region_frequency=None,
        feature_layer=None,
        loss_weight=0.3,
        ignore_class=255,
        pool_before_upsampling=True,
        region_head=None,
        region_branch=True,
        auxiliary_head=None,
        auxiliary_feature_layer=AUXILIARY_FEATURES,
        out_of_range="warn",
        **kwargs,
    ):
        num_classes = validation.check_num_classes(num_classes, minimum=2)
        out_of_range = validation.check_choice(out_of_range, OUT_OF_RANGE_ACTIONS, "out_of_range")
        loss_weight = validation.check_number(loss_weight, "loss_weight", minimum=0.0)
        ignore_class = validation.check_ignore_class(ignore_class)
        region_branch = bool(region_branch)
        head_options = {key: kwargs.pop(key) for key in region_head_options() if key in kwargs}
        auxiliary_head = _auxiliary_head(auxiliary_head, num_classes)
        if not region_branch and auxiliary_head is None:
            raise ValueError(
                "With `region_branch=False` and no `auxiliary_head` the wrapper adds nothing to "
                "the segmenter: compile and fit the segmenter itself."
            )
        if region_branch:
            region_head = _region_head(region_head, num_classes, region_frequency, ignore_class, head_options)
        else:
            region_head = None
        if not isinstance(segmenter, NormalizedSegmenter) and _has_image_converter(segmenter):
            # A KerasHub task normalises its inputs in `task.predict`'s data pipeline, not
            # in its graph; moving that into the model keeps `predict` equal to the
            # task's and makes `fit` and the export see the same values.
            segmenter = NormalizedSegmenter.from_task(segmenter)
        super().__init__(**kwargs)
        self.segmenter = segmenter
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.ignore_class = ignore_class
        self.feature_layer = feature_layer
        self.pool_before_upsampling = bool(pool_before_upsampling)
        self.region_branch = region_branch
        self.auxiliary_feature_layer = auxiliary_feature_layer
        self.out_of_range = out_of_range

        tap = tap_segmenter(
            segmenter,
            num_classes,
            feature_layer,
            self.pool_before_upsampling,
            auxiliary_layer=None if auxiliary_head is None else auxiliary_feature_layer,
        )
        feature_model = tap.model
        if auxiliary_head is not None:
            # The auxiliary head runs in the same graph as the segmenter (one forward pass).
            logits, features, auxiliary_features = tap.model.outputs
            auxiliary_logits = auxiliary_head(auxiliary_features)
            feature_model = keras.Model(
                tap.model.inputs, [logits, features, auxiliary_logits], name=f"{segmenter.name}_training_outputs"
            )
        self.feature_model = feature_model
        self.auxiliary_head = auxiliary_head
        self.outputs_probabilities = tap.outputs_probabilities
        self.feature_description = tap.description
        if region_head is not None and not region_head.built:
            region_head.build(tap.model.outputs[1].shape)
        self.region_head = region_head

        self.pixel_loss = None
        self._pixel_loss_is_default = False
        self.pixel_loss_tracker = keras.metrics.Mean(name="pixel_loss")
        self.region_loss_tracker = None if region_head is None else keras.metrics.Mean(name="region_loss")
        self.auxiliary_loss_tracker = None if auxiliary_head is None else keras.metrics.Mean(name="auxiliary_loss")
        self.region_overflow_tracker = None
        if region_head is not None and region_head.max_regions_per_image is not None:
            self.region_overflow_tracker = keras.metrics.Mean(name="region_overflow")
        self.out_of_range_tracker = None
        if out_of_range != "ignore":
            self.out_of_range_tracker = _PixelCount(name=_OUT_OF_RANGE_METRIC)
        # True only inside fit/evaluate/train_on_batch/test_on_batch, where `call`
        # returns logits and features for the loss (read at trace time).
        self._emit_training_outputs = False
        self.built = True

    @property
    def region_classifier(self):
        """The region classifier of `region_head` (region features -> region logits), or None."""
        return None if self.region_head is None else self.region_head.region_classifier

    @property
    def region_frequency(self):
        """F(k) as a list of floats, or None (from `region_head`)."""
        return None if self.region_head is None else self.region_head.region_frequency

    # ------------------------------------------------------------------ forward pass
    @staticmethod
    def _training_dict(outputs):
        names = ("logits", "features", "auxiliary_logits")
        return dict(zip(names, outputs))

    def call(self, inputs, training=None):
        if self._emit_training_outputs:
            return self._training_dict(self.feature_model(inputs, training=training))
        return self.segmenter(inputs, training=training)

    def compute_output_spec(self, inputs, training=None):
        if self._emit_training_outputs:
            return self._training_dict(self.feature_model.compute_output_spec(inputs))
        return self.segmenter.compute_output_spec(inputs)

    @contextlib.contextmanager
    def _training_outputs(self):
        previous = self._emit_training_outputs
        self._emit_training_outputs = True
        try:
            yield
        finally:
            self._emit_training_outputs = previous

    # ---------------------------------------------------------------- compile / fit
    def compile(self, optimizer="rmsprop", loss="auto", metrics=None, **kwargs):
        """Configures training. `loss` is the *pixel* loss and always receives logits.

        Args:
            optimizer: optimizer or its name. Defaults to `"rmsprop"`.
            loss: a `keras.losses.Loss` (or callable `(y_true, logits) -> loss`) applied
                to the pixel logits, or `"auto"`: sparse categorical cross-entropy from
                logits with `ignore_class`. The region loss is added by the wrapper.
            metrics: metrics on the segmenter's outputs (what `predict` returns).
            **kwargs: other `keras.Model.compile` arguments.
        """
        self._pixel_loss_is_default = loss is None or (isinstance(loss, str) and loss == "auto")
        if self._pixel_loss_is_default:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=self.ignore_class)
        elif isinstance(loss, str):
            raise ValueError(
                "The pixel loss receives logits, so pass a loss object, e.g. "
                "`keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)`, "
                f"or `loss='auto'`. Received: loss={loss!r}"
            )
        elif isinstance(loss, (dict, list, tuple)):
            raise ValueError(f"The segmenter has one output: pass one pixel loss. Received: loss={loss!r}")
        elif not isinstance(loss, keras.losses.Loss):
            if not callable(loss):
                raise ValueError(f"`loss` must be a keras Loss or a callable. Received: loss={loss!r}")
            loss = keras.losses.LossFunctionWrapper(loss)
        self.pixel_loss = loss
        # JAX: the loss' noise generator (BLV) becomes model state, advanced each step.
        track_loss_seed_generator(self, loss)
        # The total loss is assembled in `compute_loss`; Keras sees no compiled loss.
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config is not None and self.pixel_loss is not None:
            config["loss"] = (
                "auto" if self._pixel_loss_is_default else keras.saving.serialize_keras_object(self.pixel_loss)
            )
        return config

    def compile_from_config(self, config):
        # Keras skips models with a custom `compile`; ours takes the same arguments.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built and hasattr(self, "optimizer") and self.optimizer is not None:
            self.optimizer.build(self.trainable_variables)

    fit = _with_region_branch("fit")
    evaluate = _with_region_branch("evaluate")
    train_on_batch = _with_region_branch("train_on_batch")
    test_on_batch = _with_region_branch("test_on_batch")

    def _warn_on_region_overflow(self):
        tracker = self.region_overflow_tracker
        if tracker is None:
            return
        dropped = float(keras.ops.convert_to_numpy(tracker.result()))
        if dropped > 0:
            warnings.warn(
                f"Region Rebalance dropped {dropped:.2f} regions per batch (last epoch): some "
                f"images hold more than max_regions_per_image={self.region_head.max_regions_per_image} "
                "classes; the most frequent classes' regions were left out. Raise "
                "`max_regions_per_image` (or set it to None) to classify them all.",
                stacklevel=3,
            )

    def _check_first_labels(self, x, y):
        """Fails fast with a clear error on bad labels we can see before training.

        Checks NumPy/eager label arrays fully and the first batch of a `tf.data`
        dataset. Inside compiled steps bad ids cannot raise; there they are ignored.
        """
        labels = y
        if labels is None and hasattr(x, "take") and hasattr(x, "element_spec"):  # tf.data
            self._check_image_spec(x.element_spec)
            for element in x.take(1):
                if isinstance(element, (tuple, list)) and len(element) >= 2:
                    labels = extract_label(tuple(element))
        if labels is None or isinstance(labels, dict):
            return
        if isinstance(labels, np.ndarray):
            values = labels  # convert_to_numpy would copy the whole label array
        else:
            try:
                values = keras.ops.convert_to_numpy(labels)
            except Exception:  # symbolic or exotic inputs: checked in the step instead
                return
        validation.check_labels(values, self.num_classes, self.ignore_class)

    def _check_image_spec(self, element_spec):
        """A fixed-size segmenter cannot trace batches of unknown size: say which option fixes it."""
        try:
            image_spec = split_element(element_spec)[0]
        except (AttributeError, TypeError, ValueError):  # exotic elements
            return
        data_hw, model_hw = tuple(image_spec.shape)[1:3], model_input_size(self.segmenter)
        if model_hw is not None and None in data_hw:
            raise ValueError(
                f"The segmenter takes images of a fixed size {model_hw}, but the dataset's images have an "
                f"unknown size (element_spec shape {tuple(image_spec.shape)}), which it cannot trace. Give the "
                f"loader `image_size={model_hw}` (keras_rr.data.LoaderOptions; `data.loader_kwargs` in a "
                "config) or a crop (`augment={'crop_size': ...}`), or resize the images to that size yourself."
            )

    # ---------------------------------------------------------------- loss
    def _standardize_labels(self, y):
        """`(labels, out_of_range)`: int32 `(B, H, W)` labels, and the mask of their ids
        outside `[0, K)` that are not `ignore_class` (mapped to `ignore_class`), or None
        with `out_of_range="ignore"`."""
        if y is None:
            raise ValueError("RegionRebalanceSegmenter needs labels `y` to compute its loss.")
        labels = validation.check_label_map(ops.convert_to_tensor(y))
        labels = ops.cast(labels, "int32")
        valid = validation.valid_label_mask(labels, self.num_classes)
        counted = self.out_of_range_tracker is not None
        if self.ignore_class is None:
            return labels, ops.logical_not(valid) if counted else None
        # Graph steps cannot raise on values: ids outside [0, K) are ignored (eager
        # inputs were already checked in fit/evaluate). The pixels this changes are
        # exactly the out-of-range ones (ignore pixels stay as they are).
        standardized = ops.where(valid, labels, self.ignore_class)
        return standardized, ops.not_equal(standardized, labels) if counted else None

    def _report_out_of_range(self, history=None):
        """Warns or raises (per `out_of_range`) when the last call's labels held bad ids.

        Reads `fit`'s history (every epoch, training and validation) or, after
        `evaluate` / `*_on_batch`, the tracker: one host read per call, none per step.
        """
        if self.out_of_range_tracker is None:
            return
        if history is not None and hasattr(history, "history"):
            found = _out_of_range_in_logs(history.history)
        else:
            value = float(keras.ops.convert_to_numpy(self.out_of_range_tracker.result()))
            found = {"evaluation": value} if value > 0 else {}
        if not found:
            return
        message = self._out_of_range_message(found)
        if self.out_of_range == "error":
            raise ValueError(message)
        warnings.warn(message, stacklevel=3)

    def _out_of_range_message(self, found, where=None):
        counts = ", ".join(f"{count:.0f} pixels in {part}" for part, count in found.items())
        when = f" ({where})" if where else ""
        return (
            f"Labels held class ids outside [0, {self.num_classes}) that are not the ignore value "
            f"{self.ignore_class}{when}: {counts} (the most in one epoch; logged as "
            f"`{_OUT_OF_RANGE_METRIC}`). Compiled steps treat them as ignored. Fix the label files, or "
            f"load them with `keras_rr.data.load_segmentation_directory(..., num_classes={self.num_classes})`, "
            "which checks every label file's ids; `out_of_range='ignore'` on the "
            "RegionRebalanceSegmenter silences this."
        )

    def _pixel_logits(self, logits, labels):
        logits = ops.cast(logits, "float32")
        label_hw = tuple(labels.shape[1:3])
        if None not in label_hw and tuple(logits.shape[1:3]) != label_hw:
            logits = ops.image.resize(logits, label_hw, interpolation="bilinear", data_format="channels_last")
        return logits

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self.pixel_loss is None:
            raise ValueError("Call `compile()` before training or evaluating the model.")
        if not isinstance(y_pred, dict):
            # Called by user code with plain predictions: recompute what the loss needs.
            y_pred = self._training_dict(self.feature_model(x, training=training))
        logits, features = y_pred["logits"], y_pred["features"]
        labels, out_of_range = self._standardize_labels(y)
        if features.shape[0] is not None and labels.shape[0] is not None and features.shape[0] != labels.shape[0]:
            raise ValueError(
                "Images and labels have different batch sizes. Received: "
                f"features.shape={tuple(features.shape)}, labels.shape={tuple(labels.shape)}"
            )

        replicas = replica_context.num_replicas()
        batch_size = ops.cast(ops.shape(labels)[0], "float32")
        if self.out_of_range_tracker is not None:
            # This replica's count: metric variables are summed over replicas when read.
            self.out_of_range_tracker.update_state(ops.count_nonzero(out_of_range))
        pixel_loss = self._pixel_loss_of(logits, labels, sample_weight)
        total = pixel_loss
        self.pixel_loss_tracker.update_state(pixel_loss * replicas, sample_weight=batch_size)

        if self.region_head is not None:
            # The head's `call`, not `__call__`: it was built in `__init__`, and Keras'
            # layer-call machinery costs about 1 ms of host time per step on eager torch,
            # as much as the region branch's own ops (benchmarks/region_term_host_time.py).
            region_sum, region_count, dropped = self.region_head.call(
                features, labels, sample_weight=sample_weight, training=training
            )
            # Mean over the regions of the *global* batch: local sum / global count. The
            # replicas' terms add up to the global mean, matching Keras' loss scaling.
            global_count = replica_context.cross_replica_sum(region_count)
            region_loss = region_sum / ops.maximum(global_count, 1.0)
            total = total + self.loss_weight * region_loss
            self.region_loss_tracker.update_state(region_loss * replicas, sample_weight=batch_size)
            if self.region_overflow_tracker is not None:
                self.region_overflow_tracker.update_state(replica_context.cross_replica_sum(dropped))

        if self.auxiliary_head is not None:
            # mmseg's auxiliary head scores its own logits (resized to the labels) with the
            # compiled pixel loss; the default is the same global-batch cross-entropy.
            auxiliary_loss = self.auxiliary_head.compute_loss(
                labels, y_pred["auxiliary_logits"], self.ignore_class, sample_weight,
                pixel_loss=None if self._pixel_loss_is_default else self.pixel_loss,
            )
            total = total + self.auxiliary_head.loss_weight * auxiliary_loss
            self.auxiliary_loss_tracker.update_state(auxiliary_loss * replicas, sample_weight=batch_size)

        for extra in self.losses:  # weight regularizers, add_loss terms
            total = total + ops.cast(extra, "float32") / replicas
        return total

    def _pixel_loss_of(self, logits, labels, sample_weight):
        """The pixel loss of logits resized (bilinear) to the labels: this replica's share."""
        logits = self._pixel_logits(logits, labels)
        if self._pixel_loss_is_default:
            # Averaged over the labelled pixels of the *global* batch: Keras' own
            # reduction averages per replica, which differs from one device as soon as
            # replicas hold different numbers of ignored pixels.
            return masked_cross_entropy(
                labels, logits, self.num_classes, self.ignore_class, sample_weight=sample_weight, across_replicas=True
            )
        # Keras Loss objects divide by the replica count themselves.
        return ops.cast(self.pixel_loss(labels, logits, sample_weight), "float32")

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if isinstance(y_pred, dict):
            y_pred = y_pred["logits"]
            if self.outputs_probabilities:
                y_pred = ops.softmax(ops.cast(y_pred, "float32"), axis=-1)
        return super().compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def export(self, filepath, format=None, **kwargs):
        """Exports the plain segmenter, without the region branch, verified.

        The same artifact as `keras_rr.export.export_segmenter(self, filepath, ...)`:
        `keras.Model.export` of the wrapper would trace the training wrapper and ship
        the region weights. The written file is loaded by its own runtime and checked
        against the segmenter's outputs (`keras_rr.export.ExportError` if it differs).

        Args:
            filepath: str. Where to write.
            format: str or None. `"keras"`, `"tf_saved_model"`, `"onnx"` or `"litert"`;
                None takes it from the file name (`.keras`, `.onnx`, `.tflite`,
                anything else a SavedModel directory, as `keras.Model.export`).
                Defaults to `None`.
            **kwargs: other `export_segmenter` arguments (`outputs`, `sample_images`,
                `rtol`, `min_argmax_agreement`, `verify`).

        Returns:
            What `keras_rr.export.export_segmenter` returns.
        """
        return export_segmenter(self, filepath, format=format, **kwargs)

    # ---------------------------------------------------------------- serialization
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "segmenter": keras.saving.serialize_keras_object(self.segmenter),
                "num_classes": self.num_classes,
                "feature_layer": self.feature_layer,
                "loss_weight": self.loss_weight,
                "ignore_class": self.ignore_class,
                "pool_before_upsampling": self.pool_before_upsampling,
                "region_branch": self.region_branch,
                "auxiliary_head": (
                    None if self.auxiliary_head is None else keras.saving.serialize_keras_object(self.auxiliary_head)
                ),
                "auxiliary_feature_layer": self.auxiliary_feature_layer,
                "out_of_range": self.out_of_range,
                "region_head": (
                    None if self.region_head is None else keras.saving.serialize_keras_object(self.region_head)
                ),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["segmenter"] = keras.saving.deserialize_keras_object(config["segmenter"])
        # Files written before the head was serialised whole hold its options flat, which
        # the constructor still takes.
        for key in ("region_classifier", "auxiliary_head", "region_head"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
