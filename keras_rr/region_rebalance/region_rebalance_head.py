"""`RegionRebalanceHead`: pool regions, classify them, return their balanced-softmax loss.

The training-only branch of Region Rebalance as one Keras layer (paper eq. 6-8,
docs/method.md section 3): the decoder features are averaged over every (image,
ground-truth class) region (`region_mean`), each region feature is classified by the
head's own classifier, and `region_rebalance_loss` scores the region logits with the
region-frequency prior. Like an mmsegmentation auxiliary head, it owns its layers and its
loss; the segmenter wrapper only weights and adds what it returns.

The head's options are defined once, by its signature: `region_head_options()` lists
them with their defaults for the wrapper (`RegionRebalanceSegmenter(**options)`),
`keras_rr.training.Variant(region_head=...)` and the config schema
(`config.region_rebalance.*`). The paper's head and the authors' released head are the
two named presets of `REGION_HEAD_PRESETS`.
"""

import collections
import inspect
import os
import types

import keras
import numpy as np
from keras import ops

from keras_rr import validation
from keras_rr.data.class_statistics import ClassStatistics
from keras_rr.data.class_statistics import resolve_region_frequency
from keras_rr.region_rebalance.region_pooling import POOLING_METHODS
from keras_rr.region_rebalance.region_pooling import POOLING_RESOLUTIONS
from keras_rr.region_rebalance.region_pooling import REGION_SCOPES
from keras_rr.region_rebalance.region_pooling import region_mean
from keras_rr.region_rebalance.region_pooling import sample_labels_nearest
from keras_rr.region_rebalance.region_pooling import segment_sums
from keras_rr import replica_context
from keras_rr.region_rebalance.region_feature_reducer import RegionFeatureReducer
from keras_rr.region_rebalance.region_feature_reducer import torch_default_kernel_initializer
from keras_rr.region_rebalance.region_rebalance_loss import region_rebalance_loss


Regions = collections.namedtuple("Regions", ["logits", "labels", "mask", "weights", "num_dropped"])
Regions.__doc__ = """The classified regions of a batch (`RegionRebalanceHead.regions`).

Fields:
    logits: float `(B, N, K)` region logits; N = K, or `max_regions_per_image`
        (`(1, K, K)` with `region_scope="batch"`).
    labels: int32 `(B, N)` class of each region slot.
    mask: bool `(B, N)`, True where the slot holds a region that exists.
    weights: float32 `(B, N)` mean sample weight of each region's pixels, or None
        without sample weights.
    num_dropped: float32 scalar, regions that existed but did not fit in the
        `max_regions_per_image` slots (0 otherwise).
"""


# The two region heads of the paper's experiments (docs/method.md, section 3), as
# `RegionRebalanceHead` options (unlisted options keep their defaults), and the region-loss
# weight λ each trains with:
# - "paper": the head of the paper (eq. 6-8): regions per (image, class) pooled on the
#   decoder's feature grid, a linear classifier, the prior log F(k); λ = 0.3. It is the
#   head's defaults.
# - "authors": the branch of the authors' released code: a frozen random 1x1 conv + BN to
#   128 channels, features upsampled (align corners) to the labels, one region per class
#   of the whole batch, a frozen MLP 128 -> 512 -> K with dropout 0.1, target probability
#   0.5 on the true class, prior log(F / sum F + 1e-12); λ = 1.0 (their `img_cls_weight`).
REGION_HEAD_PRESETS = types.MappingProxyType({
    "paper": {},
    "authors": {
        "region_scope": "batch",
        "pooling_resolution": "labels",
        "align_corners": True,
        "reduction_dim": 128,
        "projection_dim": 512,
        "classifier_dropout": 0.1,
        "frozen_head": True,
        "true_class_probability": 0.5,
        "label_smoothing": 0.0,
        "prior_epsilon": 1e-12,
    },
})
REGION_LOSS_WEIGHTS = types.MappingProxyType({"paper": 0.3, "authors": 1.0})
# The authors' released branch under the names the docs have always used.
AUTHORS_HEAD = REGION_HEAD_PRESETS["authors"]
AUTHORS_LOSS_WEIGHT = REGION_LOSS_WEIGHTS["authors"]


def _max_classes_per_image(region_frequency):
    """The statistics' largest number of classes in one training image, or None."""
    if isinstance(region_frequency, (str, os.PathLike)):
        region_frequency = ClassStatistics.load(region_frequency)
    return getattr(region_frequency, "max_classes_per_image", None)


@keras.saving.register_keras_serializable(package="keras_rr")
class RegionRebalanceHead(keras.layers.Layer):
    """Region pooling -> region classifier -> balanced-softmax region loss.

    Called on decoder features and labels, it returns the *summed* region loss of the
    batch and the number of regions it holds, so that a caller can average over the
    regions of the global batch under a distribution strategy (the wrapper divides by
    the count summed over replicas). `regions` returns the intermediate region logits,
    labels and mask.

    The default classifier is a linear layer `C -> K` (the paper's region classifier);
    `projection_dim` inserts a ReLU projection `C -> projection_dim` before it, and
    `region_classifier` replaces it with any layer mapping `(N, C)` to `(N, K)`. The
    defaults are the paper's head; `RegionRebalanceHead.from_preset("authors", ...)` (or
    `**keras_rr.layers.AUTHORS_HEAD`) is the authors' released branch (see
    `REGION_HEAD_PRESETS`).

    Args:
        num_classes: int. Number of classes `K`.
        region_frequency: F(k), the number of training images containing class k:
            array-like `(K,)`, a `keras_rr.data.ClassStatistics`, or the path of a
            statistics JSON file. Zeros are clamped to 1. Required unless
            `rebalance=False`.
        rebalance: bool. Add `log F` to the region logits (balanced softmax); `False`
            gives the paper's "region branch only" ablation. Defaults to `True`.
        ignore_class: int or None. Label of unlabeled pixels. Defaults to `255`.
        label_smoothing: float in [0, 1). Label smoothing of the region targets.
            Defaults to `0.0`.
        pooling_resolution: `"features"` (labels sampled nearest to the feature grid) or
            `"labels"` (features upsampled bilinearly to the label size first, as the
            authors' code). Defaults to `"features"`.
        pooling_method: `"auto"`, `"segment_sum"` or `"one_hot"`: how `region_mean`
            sums features per region (same result; `"auto"` picks the faster for the
            backend). Defaults to `"auto"`.
        projection_dim: int or None. Width of a ReLU projection before the linear
            classifier. Defaults to `None` (linear classifier only).
        region_classifier: a layer mapping region features `(N, C)` to logits `(N, K)`,
            or None for the default. Defaults to `None`.
        max_regions_per_image: int, None or `"auto"`. Classify at most this many
            regions per image: the present classes are gathered first, so the branch
            costs O(B·R·K) instead of O(B·K²) (a real image holds a few dozen classes,
            while K may be thousands). Results equal the full computation whenever no
            image holds more classes; otherwise the regions of the most frequent
            classes (largest F(k)) are dropped first, deterministically, and counted.
            `"auto"` uses the statistics' `max_classes_per_image` when
            `region_frequency` is a `ClassStatistics` (or its JSON file) that records
            it and it is below K: training crops never hold more classes than their
            image, so this cannot change results. None classifies all K slots.
            Defaults to `"auto"`.
        region_scope: `"image"` (one region per (image, class), paper eq. 7) or
            `"batch"` (one region per class of the whole global batch, the authors'
            code). Defaults to `"image"`.
        align_corners: bool. With `pooling_resolution="labels"`, upsample with
            `align_corners=True` (the authors' code) instead of half-pixel centres.
            Defaults to `False`.
        reduction_dim: int or None. A `RegionFeatureReducer` (1x1 conv + BN) to this
            many channels before pooling (the authors': 128). Defaults to `None`.
        classifier_dropout: float in [0, 1). Dropout after the projection (needs
            `projection_dim`; the authors': 0.1). Defaults to `0.0`.
        frozen_head: bool. Keep the head's weights at their random (torch default)
            initialisation: the authors' head is never updated. Defaults to `False`.
        true_class_probability: float or None. Target probability of the true class,
            the rest spread evenly (the authors': 0.5); excludes `label_smoothing`.
            Defaults to `None`.
        prior_epsilon: float or None. Use the prior `log(F / sum F + epsilon)` (the
            authors': 1e-12) instead of `log max(F, 1)`. Defaults to `None`.
        **kwargs: `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        features: float tensor `(B, h, w, C)`: the map the pixel classifier reads.
        labels: int tensor `(B, H, W)` or `(B, H, W, 1)` of class ids.
        sample_weight: None, per-image `(B,)` or per-pixel `(B, H, W)` weights (Keras'
            `sample_weight`). Pixels of weight 0 do not pool; each region's loss is
            multiplied by the mean weight of its pixels.
        training: bool or None. Passed to the region classifier.

    Returns:
        `(loss_sum, num_regions, num_dropped)`: float32 scalars, the (weighted) sum of
        the region losses of the batch, the number of regions, and the regions dropped
        by `max_regions_per_image`; the mean region loss is
        `loss_sum / max(num_regions, 1)` (0 when no region exists, never NaN).

    Example:

    ```python
    head = keras_rr.layers.RegionRebalanceHead(num_classes=150, region_frequency=stats)
    loss_sum, num_regions, _ = head(decoder_features, labels)
    region_loss = loss_sum / keras.ops.maximum(num_regions, 1.0)
    ```

    Reference:
        [Cui et al., Region Rebalance for Long-Tailed Semantic Segmentation](
        https://arxiv.org/abs/2204.01969), eq. 6-8.
    """

    # The annotations type the config schema's fields (`region_head_options`).
    def __init__(
        self,
        num_classes: int,
        region_frequency=None,
        rebalance: bool = True,
        ignore_class: int | None = 255,
        label_smoothing: float = 0.0,
        pooling_resolution: str = "features",
        pooling_method: str = "auto",
        projection_dim: int | None = None,
        region_classifier=None,
        max_regions_per_image: int | str | None = "auto",
        region_scope: str = "image",
        align_corners: bool = False,
        reduction_dim: int | None = None,
        classifier_dropout: float = 0.0,
        frozen_head: bool = False,
        true_class_probability: float | None = None,
        prior_epsilon: float | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_classes = validation.check_num_classes(num_classes, minimum=2)
        if rebalance and region_frequency is None:
            raise ValueError(
                "`region_frequency` (images per class, F(k)) is required when "
                "`rebalance=True`; compute it with `keras_rr.data.compute_class_statistics`. "
                "Received: region_frequency=None"
            )
        self.region_frequency = (
            None if region_frequency is None else resolve_region_frequency(region_frequency, self.num_classes)
        )
        self.rebalance = bool(rebalance)
        self.ignore_class = validation.check_ignore_class(ignore_class)
        self.label_smoothing = validation.check_number(
            label_smoothing, "label_smoothing", 0.0, 1.0, max_inclusive=False
        )
        self.pooling_resolution = validation.check_choice(
            pooling_resolution, POOLING_RESOLUTIONS, "pooling_resolution"
        )
        self.pooling_method = validation.check_choice(pooling_method, POOLING_METHODS, "pooling_method")
        self.projection_dim = validation.check_int(projection_dim, "projection_dim", minimum=1, allow_none=True)
        self.region_scope = validation.check_choice(region_scope, REGION_SCOPES, "region_scope")
        self.align_corners = bool(align_corners)
        self.reduction_dim = validation.check_int(reduction_dim, "reduction_dim", minimum=1, allow_none=True)
        self.classifier_dropout = validation.check_number(
            classifier_dropout, "classifier_dropout", 0.0, 1.0, max_inclusive=False
        )
        if self.classifier_dropout and not self.projection_dim:
            raise ValueError(
                "`classifier_dropout` applies after the projection: set `projection_dim` too. "
                f"Received: classifier_dropout={classifier_dropout}, projection_dim=None"
            )
        self.frozen_head = bool(frozen_head)
        self.prior_epsilon = (
            None if prior_epsilon is None
            else validation.check_number(prior_epsilon, "prior_epsilon", minimum=0.0, min_inclusive=False)
        )
        self.true_class_probability = None
        self._smoothing = self.label_smoothing
        if true_class_probability is not None:
            k = self.num_classes
            self.true_class_probability = validation.check_number(
                true_class_probability, "true_class_probability", minimum=1.0 / k, maximum=1.0, min_inclusive=False
            )
            if self.label_smoothing:
                raise ValueError(
                    "Pass `label_smoothing` or `true_class_probability`, not both. Received: "
                    f"label_smoothing={label_smoothing}, true_class_probability={true_class_probability}"
                )
            self._smoothing = (1.0 - self.true_class_probability) * k / (k - 1)
        if self.region_scope == "batch":
            if max_regions_per_image not in ("auto", None):
                raise ValueError(
                    "`max_regions_per_image` limits the regions of one image; with "
                    "region_scope='batch' there are K regions at most. Received: "
                    f"max_regions_per_image={max_regions_per_image}"
                )
            max_regions_per_image = None
        if max_regions_per_image == "auto":
            found = None if region_frequency is None else _max_classes_per_image(region_frequency)
            max_regions_per_image = found if found is not None and 0 < found < self.num_classes else None
        self.max_regions_per_image = validation.check_int(
            max_regions_per_image, "max_regions_per_image", minimum=1, allow_none=True
        )
        if self.max_regions_per_image is not None and self.max_regions_per_image >= self.num_classes:
            self.max_regions_per_image = None  # every slot fits: the full computation
        # Which regions a full image drops first: the most frequent classes (they have the
        # most other regions to learn from), then the larger class ids.
        frequency = np.zeros(self.num_classes) if self.region_frequency is None else np.asarray(self.region_frequency)
        order = np.lexsort((np.arange(self.num_classes), frequency))  # rarest first
        self._keep_priority = np.empty(self.num_classes, "int32")
        self._keep_priority[order] = np.arange(self.num_classes, 0, -1, dtype="int32")
        self.reducer = None
        if self.reduction_dim is not None:
            self.reducer = RegionFeatureReducer(self.reduction_dim, name="region_reducer", dtype=self.dtype_policy)
        self._custom_region_classifier = region_classifier is not None
        if region_classifier is None:
            region_classifier = self._default_classifier()
        self.region_classifier = region_classifier
        if self.frozen_head:
            self.trainable = False

    def _default_classifier(self):
        # A frozen head keeps torch's default initialisation, as the authors' does.
        init = {"kernel_initializer": torch_default_kernel_initializer()} if self.frozen_head else {}
        if not self.projection_dim:
            return keras.layers.Dense(self.num_classes, name="region_classifier", dtype=self.dtype_policy, **init)
        layers = [
            keras.layers.Dense(
                self.projection_dim, activation="relu", name="region_projection", dtype=self.dtype_policy, **init
            ),
            keras.layers.Dense(self.num_classes, name="region_logits", dtype=self.dtype_policy, **init),
        ]
        if self.classifier_dropout:
            layers.insert(1, keras.layers.Dropout(self.classifier_dropout, name="region_dropout"))
        return keras.Sequential(layers, name="region_classifier")

    def build(self, features_shape, labels_shape=None):
        channels = features_shape[-1]
        if self.reducer is not None:
            self.reducer.build(features_shape)
            channels = self.reduction_dim
        if not self.region_classifier.built:  # a deserialized custom classifier is built
            self.region_classifier.build((None, channels))
            if self.frozen_head and not self._custom_region_classifier:
                self._torch_default_biases()
        self.built = True

    def _torch_default_biases(self):
        """torch's `Linear` bias init, uniform in `[-1/sqrt(fan_in), 1/sqrt(fan_in)]`."""
        dense_layers = getattr(self.region_classifier, "layers", [self.region_classifier])
        for layer in dense_layers:
            if isinstance(layer, keras.layers.Dense):
                bound = 1.0 / float(np.sqrt(layer.kernel.shape[0]))
                layer.bias.assign(keras.random.uniform(layer.bias.shape, -bound, bound))

    def regions(self, features, labels, sample_weight=None, training=None):
        """Pools, gathers and classifies the regions of a batch.

        Args:
            features: float tensor `(B, h, w, C)`.
            labels: int tensor `(B, H, W)` or `(B, H, W, 1)`.
            sample_weight: None, `(B,)` or `(B, H, W)` weights. Defaults to `None`.
            training: bool or None. Passed to the region classifier.

        Returns:
            A `Regions` tuple `(logits, labels, mask, weights, num_dropped)`; the loss is
            `keras_rr.losses.region_rebalance_loss(logits, mask, F, label_smoothing,
            region_labels=labels, region_weights=weights)`.
        """
        labels = validation.check_label_map(ops.convert_to_tensor(labels))
        if self.reducer is not None:
            features = self.reducer(features)
        pixel_weights = None
        if sample_weight is not None:
            pixel_weights = validation.pixel_weight_map(sample_weight, labels)
            # Pixels of weight 0 do not pool, like ignored ones.
            labels = ops.where(pixel_weights > 0, ops.cast(labels, "int32"), -1)
        if self.pooling_resolution == "features":
            # The grid the regions are pooled on (nearest sampling is the identity on
            # labels already at the feature size, so `region_mean` does not redo it).
            height, width = features.shape[1], features.shape[2]
            labels = sample_labels_nearest(labels, height, width)
            if pixel_weights is not None:
                pixel_weights = sample_labels_nearest(pixel_weights, height, width)
        labels = ops.cast(labels, "int32")
        num_slots, num_dropped = self.num_classes, ops.zeros((), "float32")
        region_labels = None
        if self.max_regions_per_image is not None:
            labels, region_labels, num_dropped = self._assign_slots(labels)
            num_slots = self.max_regions_per_image
        pool = dict(
            num_classes=num_slots,
            ignore_class=None if self.max_regions_per_image is not None else self.ignore_class,
            resolution=self.pooling_resolution,
            method=self.pooling_method,
            data_format="channels_last",
            scope=self.region_scope,
            align_corners=self.align_corners,
        )
        region_features, mask = self._pool(features, labels, pool)
        weights = None
        if pixel_weights is not None:
            weights = self._pool(ops.expand_dims(pixel_weights, -1), labels, pool)[0][..., 0]
        batch, channels = ops.shape(region_features)[0], region_features.shape[-1]
        if region_labels is None:
            region_labels = ops.broadcast_to(ops.arange(self.num_classes, dtype="int32"), ops.shape(mask))
        # Rows of (B*N, C): any classifier built for (None, C) inputs applies.
        logits = self.region_classifier(ops.reshape(region_features, (-1, channels)), training=training)
        logits = ops.reshape(logits, (batch, -1, self.num_classes))
        return Regions(logits, region_labels, mask, weights, num_dropped)

    def _pool(self, values, labels, pool):
        """`region_mean`, over the global batch for `region_scope="batch"` on replicas."""
        if self.region_scope != "batch" or replica_context.num_replicas() == 1:
            return region_mean(values, labels, **pool)
        # One region per class of the *global* batch: add sums and counts over the
        # replicas (the all-reduce is differentiable: its gradient is an all-reduce).
        means, _, local_counts = region_mean(values, labels, return_counts=True, **pool)
        sums = replica_context.cross_replica_sum(means * ops.expand_dims(local_counts, -1))
        counts = replica_context.cross_replica_sum(local_counts)
        return sums / ops.expand_dims(ops.maximum(counts, 1.0), -1), counts > 0

    def _assign_slots(self, labels):
        """Maps class ids to the `max_regions_per_image` region slots of their image.

        Only per-(image, class) pixel counts are computed over all K classes (B·K
        scalars); the features are then pooled straight into B·R slots, so no
        `(B, K, C)` tensor exists. Present classes take the slots first, the rarest
        (smallest F(k)) before the others.

        Returns:
            `(slot_labels (B, h, w), slot_classes (B, R), num_dropped)`: each pixel's
            slot (-1: no slot), each slot's class id, and the present regions that got
            no slot.
        """
        slots, num_classes = self.max_regions_per_image, self.num_classes
        batch = ops.shape(labels)[0]
        valid = validation.valid_label_mask(labels, num_classes, self.ignore_class)
        image_offset = ops.reshape(ops.arange(batch, dtype="int32") * num_classes, (-1, 1, 1))
        segment = ops.reshape(ops.where(valid, labels + image_offset, batch * num_classes), (-1,))
        counts = segment_sums(ops.ones_like(segment, dtype="float32"), segment, batch * num_classes + 1)
        present = ops.reshape(counts[:-1], (batch, num_classes)) > 0
        score = ops.where(present, ops.convert_to_tensor(self._keep_priority), 0)
        score, slot_classes = ops.top_k(score, slots)  # (B, R), present classes first
        slot_classes = ops.cast(slot_classes, "int32")
        # Inverse map (image, class) -> slot + 1 (0: no slot); the R classes of an image
        # are distinct, so the scatter writes each entry once.
        flat_slots = ops.reshape(slot_classes + ops.reshape(image_offset, (-1, 1)), (-1, 1))
        slot_ids = ops.tile(ops.arange(1, slots + 1, dtype="int32"), (batch,))
        slot_of = ops.scatter(flat_slots, slot_ids, (batch * num_classes + 1,))
        slot_labels = ops.take(slot_of, segment) - 1
        num_dropped = ops.sum(ops.cast(present, "float32")) - ops.sum(ops.cast(score > 0, "float32"))
        return ops.reshape(slot_labels, ops.shape(labels)), slot_classes, num_dropped

    def call(self, features, labels, sample_weight=None, training=None):
        regions = self.regions(features, labels, sample_weight=sample_weight, training=training)
        loss_sum = region_rebalance_loss(
            regions.logits,
            regions.mask,
            self.region_frequency if self.rebalance else None,
            self._smoothing,
            region_labels=regions.labels,
            reduction="sum",
            region_weights=regions.weights,
            prior_epsilon=self.prior_epsilon,
        )
        count = ops.sum(ops.cast(regions.mask, "float32"))
        if self.region_scope == "batch":
            # Every replica holds the regions of the global batch: its share of the sums
            # the caller adds over replicas is 1 / replicas.
            replicas = float(replica_context.num_replicas())
            loss_sum, count = loss_sum / replicas, count / replicas
        return loss_sum, count, regions.num_dropped

    def compute_output_shape(self, features_shape, labels_shape=None):
        return (), (), ()

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "region_frequency": self.region_frequency,
                "rebalance": self.rebalance,
                "ignore_class": self.ignore_class,
                "label_smoothing": self.label_smoothing,
                "pooling_resolution": self.pooling_resolution,
                "pooling_method": self.pooling_method,
                "projection_dim": self.projection_dim,
                "max_regions_per_image": self.max_regions_per_image,
                "region_scope": self.region_scope,
                "align_corners": self.align_corners,
                "reduction_dim": self.reduction_dim,
                "classifier_dropout": self.classifier_dropout,
                "frozen_head": self.frozen_head,
                "true_class_probability": self.true_class_probability,
                "prior_epsilon": self.prior_epsilon,
                "region_classifier": (
                    keras.saving.serialize_keras_object(self.region_classifier)
                    if self._custom_region_classifier
                    else None
                ),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("region_classifier") is not None:
            config["region_classifier"] = keras.saving.deserialize_keras_object(config["region_classifier"])
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, num_classes, region_frequency=None, **overrides):
        """The head of a named preset: `"paper"` or `"authors"` (`REGION_HEAD_PRESETS`).

        Train it with the preset's region-loss weight, `REGION_LOSS_WEIGHTS[preset]`.

        Args:
            preset: str. `"paper"` or `"authors"`.
            num_classes: int.
            region_frequency: F(k), as for the constructor. Defaults to `None`.
            **overrides: other constructor arguments (e.g. `name`, `ignore_class`).

        Returns:
            `RegionRebalanceHead`.

        Example:

        >>> head = RegionRebalanceHead.from_preset("authors", 150, stats, name="region_head")
        """
        preset = validation.check_choice(preset, tuple(REGION_HEAD_PRESETS), "preset")
        return cls(num_classes, region_frequency, **{**REGION_HEAD_PRESETS[preset], **overrides})


# Constructor arguments the wrapper states itself (the segmenter's class count, the
# region prior, the ignore label) rather than as region head options.
_WRAPPER_ARGUMENTS = ("num_classes", "region_frequency", "ignore_class")


def region_head_options():
    """The region head's options and their defaults, read from its signature.

    Every constructor argument of `RegionRebalanceHead` but `num_classes`,
    `region_frequency` and `ignore_class` (which the wrapper takes itself):
    `RegionRebalanceSegmenter` accepts them as keyword arguments, `Variant` as its
    `region_head` dict, and the config schema has a field for each one of a single
    scalar type (`region_head_config_fields`).

    Returns:
        dict `{name: default}`, in signature order.

    Example:

    >>> region_head_options()["pooling_resolution"]
    'features'
    """
    parameters = inspect.signature(RegionRebalanceHead.__init__).parameters.values()
    return {
        p.name: p.default
        for p in parameters
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in _WRAPPER_ARGUMENTS
    }


def region_head_config_fields():
    """The options a config can set: `{name: (default, type)}` for those of one scalar type.

    An option annotated with one of `bool`, `int`, `float`, `str` (optionally `| None`)
    becomes the field `config.region_rebalance.<name>`; `region_classifier` (a layer)
    and `max_regions_per_image` (int or `"auto"`) do not.

    Returns:
        dict `{name: (default, type)}`.

    Example:

    >>> region_head_config_fields()["projection_dim"]
    (None, <class 'int'>)
    """
    annotations = inspect.signature(RegionRebalanceHead.__init__).parameters
    fields = {}
    for name, default in region_head_options().items():
        annotation = annotations[name].annotation
        kinds = [t for t in getattr(annotation, "__args__", (annotation,)) if t is not type(None)]
        if len(kinds) == 1 and kinds[0] in (bool, int, float, str):
            fields[name] = (default, kinds[0])
    return fields
