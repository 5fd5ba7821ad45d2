"""`Variant`: one training recipe of a comparison, from a config and into a compiled model.

A `Variant` names the pixel loss and the Region Rebalance settings of a run (the
region branch on or off, λ, the region prior, the authors' head options).
`Variant.from_config` reads them from a config's `loss` and `region_rebalance`
sections; `Variant.compile_model` wraps a segmenter in a `RegionRebalanceSegmenter`
when the region branch is on and compiles it with the pixel loss. The trainer
(`keras_rr.training.trainer`) and the paired experiments
(`keras_rr.experiments.paired_experiment`) both go through these two methods.

Example:

```python
from keras_rr.training import REGION_REBALANCE

model = REGION_REBALANCE.compile_model(segmenter, num_classes, statistics, optimizer)
model.fit(images, labels)
```
"""

import dataclasses

# Head options beyond the paper's (the authors' released branch), passed through as is.
_AUTHORS_OPTIONS = (
    "region_scope", "align_corners", "reduction_dim", "classifier_dropout", "frozen_head",
    "true_class_probability", "prior_epsilon",
)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One training recipe of a comparison (paper Tables 1, 5, 6 and Fig. 7).

    See docs/method.md, section 4 for the ablations these variants reproduce.

    Args:
        name: str. Name used in tables.
        pixel_loss: str. One of `keras_rr.losses.PIXEL_LOSSES`. Defaults to
            `"cross_entropy"`.
        region_rebalance: bool. Train with the region branch. Defaults to `False`.
        loss_weight: float. λ of the region loss. Defaults to `0.3`.
        rebalance: bool. Region prior in the region loss (False: "component I").
            Defaults to `True`.
        projection_dim: int or None. Projection MLP in the region head (authors' code).
        label_smoothing: float. Region label smoothing (authors' code). Defaults to `0`.
        pooling_resolution: str. `"features"` or `"labels"`. Defaults to `"features"`.
        region_scope, align_corners, reduction_dim, classifier_dropout, frozen_head,
            true_class_probability, prior_epsilon: the region head's options of the
            authors' released branch (`keras_rr.layers.RegionRebalanceHead`).
        auxiliary_head: bool. Train with mmseg's auxiliary FCN head on the segmenter's
            `"auxiliary_features"` map (`keras_rr.models.AuxiliaryFCNHead`). Defaults to
            `False`.
        auxiliary_loss_weight: float. Its loss weight. Defaults to `0.4` (mmseg's).
        auxiliary_channels: int. Its conv width. Defaults to `256` (mmseg's).

    Example:

    >>> Variant("RR λ=0.1", region_rebalance=True, loss_weight=0.1)
    """

    name: str
    pixel_loss: str = "cross_entropy"
    region_rebalance: bool = False
    loss_weight: float = 0.3
    rebalance: bool = True
    projection_dim: int = None
    label_smoothing: float = 0.0
    pooling_resolution: str = "features"
    region_scope: str = "image"
    align_corners: bool = False
    reduction_dim: int = None
    classifier_dropout: float = 0.0
    frozen_head: bool = False
    true_class_probability: float = None
    prior_epsilon: float = None
    auxiliary_head: bool = False
    auxiliary_loss_weight: float = 0.4
    auxiliary_channels: int = 256

    @classmethod
    def from_config(cls, config):
        """The variant a config describes (its `name`, `loss` and `region_rebalance`).

        Args:
            config: `ml_collections.ConfigDict` or nested dict with `loss` and
                `region_rebalance` sections (see `keras_rr.training.config`).

        Returns:
            `Variant`.

        Example:

        >>> Variant.from_config(load_config("configs/synthetic/small_fcn_rr.py")).region_rebalance
        True
        """
        rr = config["region_rebalance"]
        auxiliary = config.get("auxiliary_head") or {}

        def optional(key):
            # Fields of the authors' head may be absent from a dict: the class default.
            value = rr.get(key)
            return getattr(cls, key) if value is None else value

        return cls(
            name=config.get("name", "run"),
            pixel_loss=config["loss"]["name"],
            region_rebalance=bool(rr["enabled"]),
            loss_weight=float(rr["loss_weight"]),
            rebalance=bool(optional("rebalance")),
            projection_dim=optional("projection_dim") or None,
            label_smoothing=float(optional("label_smoothing")),
            pooling_resolution=optional("pooling_resolution"),
            **{key: optional(key) for key in _AUTHORS_OPTIONS},
            auxiliary_head=bool(auxiliary.get("enabled", False)),
            auxiliary_loss_weight=float(auxiliary.get("loss_weight", cls.auxiliary_loss_weight)),
            auxiliary_channels=int(auxiliary.get("channels", cls.auxiliary_channels)),
        )

    def compile_model(self, segmenter, num_classes, statistics, optimizer, ignore_class=255, feature_layer=None):
        """Compiles `segmenter` (or its Region Rebalance wrapper) for this variant.

        Args:
            segmenter: functional `keras.Model` producing per-pixel logits.
            num_classes: int.
            statistics: `ClassStatistics`-like object with `pixel_counts` /
                `region_counts` (the region prior and the re-balanced pixel losses).
            optimizer: a Keras optimizer.
            ignore_class: int. Defaults to `255`.
            feature_layer: str or None. Decoder feature layer of the region branch
                (found automatically when None). Defaults to `None`.

        Returns:
            The compiled model to `fit`: a `keras_rr.models.RegionRebalanceSegmenter`
            around `segmenter` when `region_rebalance` or `auxiliary_head` (its region
            branch on only with `region_rebalance`), else `segmenter` itself.

        Example:

        >>> model = BASELINE.compile_model(segmenter, 12, statistics, keras.optimizers.SGD(0.01))
        """
        from keras_rr.losses import make_pixel_loss
        from keras_rr.models import AuxiliaryFCNHead
        from keras_rr.models import RegionRebalanceSegmenter

        if self.region_rebalance or self.auxiliary_head:
            auxiliary_head = None
            if self.auxiliary_head:
                auxiliary_head = AuxiliaryFCNHead(
                    num_classes, channels=self.auxiliary_channels, loss_weight=self.auxiliary_loss_weight
                )
            model = RegionRebalanceSegmenter(
                segmenter,
                num_classes,
                # The statistics themselves when they can say how many classes an image
                # holds (`max_regions_per_image="auto"`), else their region counts.
                region_frequency=statistics if hasattr(statistics, "max_classes_per_image") else statistics.region_counts,
                region_branch=self.region_rebalance,
                auxiliary_head=auxiliary_head,
                loss_weight=self.loss_weight,
                ignore_class=ignore_class,
                rebalance=self.rebalance,
                projection_dim=self.projection_dim,
                label_smoothing=self.label_smoothing,
                pooling_resolution=self.pooling_resolution,
                feature_layer=feature_layer,
                **{key: getattr(self, key) for key in _AUTHORS_OPTIONS},
            )
            if self.pixel_loss == "cross_entropy":
                loss = "auto"  # global-batch mean CE, exact under tf.distribute
            else:
                loss = make_pixel_loss(self.pixel_loss, num_classes, statistics, ignore_class)
            model.compile(optimizer=optimizer, loss=loss)
            return model
        loss = make_pixel_loss(self.pixel_loss, num_classes, statistics, ignore_class)
        # metrics=[]: KerasHub segmenters compile themselves with a CategoricalAccuracy
        # (one-hot targets) at construction, which `metrics=None` would keep and which
        # fails on (B, H, W) integer label maps.
        segmenter.compile(optimizer=optimizer, loss=loss, metrics=[])
        return segmenter


BASELINE = Variant("baseline")
REGION_REBALANCE = Variant("region_rebalance", region_rebalance=True)
