"""`RegionRebalanceHead`: pool regions, classify them, return their balanced-softmax loss.

The training-only branch of Region Rebalance as one Keras layer (paper eq. 6-8,
docs/method.md section 3): the decoder features are averaged over every (image,
ground-truth class) region (`region_mean`), each region feature is classified by the
head's own classifier, and `region_rebalance_loss` scores the region logits with the
region-frequency prior. Like an mmsegmentation auxiliary head, it owns its layers and its
loss; the segmenter wrapper only weights and adds what it returns.
"""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.data.class_statistics import resolve_region_frequency
from keras_rr.region_rebalance.region_pooling import POOLING_METHODS
from keras_rr.region_rebalance.region_pooling import POOLING_RESOLUTIONS
from keras_rr.region_rebalance.region_pooling import region_mean
from keras_rr.region_rebalance.region_rebalance_loss import region_rebalance_loss


@keras.saving.register_keras_serializable(package="keras_rr")
class RegionRebalanceHead(keras.layers.Layer):
    """Region pooling -> region classifier -> balanced-softmax region loss.

    Called on decoder features and labels, it returns the *summed* region loss of the
    batch and the number of regions it holds, so that a caller can average over the
    regions of the global batch under a distribution strategy (the wrapper divides by
    the count summed over replicas). `region_logits` exposes the intermediate region
    logits and mask.

    The default classifier is a linear layer `C -> K` (the paper's region classifier);
    `projection_dim` inserts a ReLU projection `C -> projection_dim` before it, and
    `region_classifier` replaces it with any layer mapping `(N, C)` to `(N, K)`.

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
        pooling_resolution: `"features"` (labels sampled to the feature grid) or
            `"labels"` (features upsampled to the label size first). Defaults to
            `"features"`.
        pooling_method: `"auto"`, `"segment_sum"` or `"one_hot"`. Defaults to `"auto"`.
        projection_dim: int or None. Width of a ReLU projection before the linear
            classifier. Defaults to `None` (linear classifier only).
        region_classifier: a layer mapping region features `(N, C)` to logits `(N, K)`,
            or None for the default. Defaults to `None`.
        **kwargs: `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        features: float tensor `(B, h, w, C)`: the map the pixel classifier reads.
        labels: int tensor `(B, H, W)` or `(B, H, W, 1)` of class ids.
        training: bool or None. Passed to the region classifier.

    Returns:
        `(loss_sum, num_regions)`: float32 scalars, the sum of the region losses of
        the batch and the number of regions; the mean region loss is
        `loss_sum / max(num_regions, 1)` (0 when no region exists, never NaN).

    Example:

    ```python
    head = keras_rr.layers.RegionRebalanceHead(num_classes=150, region_frequency=stats)
    loss_sum, num_regions = head(decoder_features, labels)
    region_loss = loss_sum / keras.ops.maximum(num_regions, 1.0)
    ```

    Reference:
        [Cui et al., Region Rebalance for Long-Tailed Semantic Segmentation](
        https://arxiv.org/abs/2204.01969), eq. 6-8.
    """

    def __init__(
        self,
        num_classes,
        region_frequency=None,
        rebalance=True,
        ignore_class=255,
        label_smoothing=0.0,
        pooling_resolution="features",
        pooling_method="auto",
        projection_dim=None,
        region_classifier=None,
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
        self._custom_region_classifier = region_classifier is not None
        if region_classifier is None:
            region_classifier = self._default_classifier()
        self.region_classifier = region_classifier

    def _default_classifier(self):
        if not self.projection_dim:
            return keras.layers.Dense(self.num_classes, name="region_classifier", dtype=self.dtype_policy)
        return keras.Sequential(
            [
                keras.layers.Dense(
                    self.projection_dim, activation="relu", name="region_projection", dtype=self.dtype_policy
                ),
                keras.layers.Dense(self.num_classes, name="region_logits", dtype=self.dtype_policy),
            ],
            name="region_classifier",
        )

    def build(self, features_shape, labels_shape=None):
        if not self.region_classifier.built:  # a deserialized custom classifier is built
            self.region_classifier.build((None, features_shape[-1]))
        self.built = True

    def region_logits(self, features, labels, training=None):
        """Region logits and the mask of the regions that exist.

        Args:
            features: float tensor `(B, h, w, C)`.
            labels: int tensor `(B, H, W)` or `(B, H, W, 1)`.
            training: bool or None. Passed to the region classifier.

        Returns:
            `(region_logits (B, K, K), region_mask bool (B, K))`: row `(b, k)` holds the
            logits of the region of class `k` in image `b`.
        """
        region_features, region_mask = region_mean(
            features,
            labels,
            self.num_classes,
            ignore_class=self.ignore_class,
            resolution=self.pooling_resolution,
            method=self.pooling_method,
            data_format="channels_last",
        )
        # Rows of (B*K, C): any classifier built for (None, C) inputs applies.
        channels = region_features.shape[-1]
        logits = self.region_classifier(ops.reshape(region_features, (-1, channels)), training=training)
        return ops.reshape(logits, (-1, self.num_classes, self.num_classes)), region_mask

    def call(self, features, labels, training=None):
        logits, mask = self.region_logits(features, labels, training=training)
        loss_sum = region_rebalance_loss(
            logits,
            mask,
            self.region_frequency if self.rebalance else None,
            self.label_smoothing,
            reduction="sum",
        )
        return loss_sum, ops.sum(ops.cast(mask, "float32"))

    def compute_output_shape(self, features_shape, labels_shape=None):
        return (), ()

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
