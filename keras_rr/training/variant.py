"""`Variant`: one training recipe of a comparison, from a config and into a compiled model.

A `Variant` names the pixel loss and the Region Rebalance settings of a run (the
region branch on or off, λ, the region head's options as `RegionRebalanceHead` takes
them).
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

from keras_rr import validation
from keras_rr.data.copy_paste import COPY_PASTE_MODES
from keras_rr.networks.decode_heads.auxiliary_fcn_head import auxiliary_head_for
from keras_rr.pixel_losses.blv_cross_entropy import track_loss_seed_generator
from keras_rr.pixel_losses.by_name import make_pixel_loss
from keras_rr.region_rebalance.region_rebalance_head import region_head_options
from keras_rr.region_rebalance.region_rebalance_segmenter import RegionRebalanceSegmenter


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
        region_head: dict. Options of the region head that differ from its defaults
            (the paper's head): any `keras_rr.layers.RegionRebalanceHead` option, e.g.
            `{"rebalance": False}` (the "component I" ablation) or
            `keras_rr.layers.AUTHORS_HEAD`. Defaults to `{}`.
        auxiliary_head: bool. Train with mmseg's auxiliary FCN head on the segmenter's
            `"auxiliary_features"` map (`keras_rr.models.AuxiliaryFCNHead`), or, for a
            segmenter with an `"auxiliary_logits"` layer (OCRNet), with the loss of those
            logits (`keras_rr.models.InGraphAuxiliaryHead`). Defaults to `False`.
        auxiliary_loss_weight: float. Its loss weight. Defaults to `0.4` (mmseg's).
        auxiliary_channels: int. Its conv width. Defaults to `256` (mmseg's).
        repeat_factor_threshold: float or None. LTSS repeat-factor sampling with this
            threshold (`keras_rr.data.repeat_factors`, image frequency, max over the
            image's classes) in the paired experiments; the trainer reads
            `data.repeat_factor_threshold`. Defaults to `None` (off).
        copy_paste: str. LTSS copy-paste mode, `"none"`, `"random"` or `"rare"`
            (`keras_rr.data.CopyPaste`) in the paired experiments; the trainer reads
            `data.copy_paste.mode`. Defaults to `"none"`.
        copy_paste_rare_bound: float. The classes `"rare"` pastes: image frequency
            below this (`keras_rr.data.rare_classes`). Defaults to `0.01`.

    Example:

    >>> Variant("RR λ=0.1", region_rebalance=True, loss_weight=0.1)
    >>> Variant("RR without the prior", region_rebalance=True, region_head={"rebalance": False})
    """

    name: str
    pixel_loss: str = "cross_entropy"
    region_rebalance: bool = False
    loss_weight: float = 0.3
    region_head: dict = dataclasses.field(default_factory=dict)
    auxiliary_head: bool = False
    auxiliary_loss_weight: float = 0.4
    auxiliary_channels: int = 256
    repeat_factor_threshold: object = None
    copy_paste: str = "none"
    copy_paste_rare_bound: float = 0.01

    def __post_init__(self):
        validation.check_choice(self.copy_paste, COPY_PASTE_MODES, "copy_paste")
        if self.repeat_factor_threshold is not None:
            validation.check_number(
                self.repeat_factor_threshold, "repeat_factor_threshold", minimum=0.0, min_inclusive=False
            )
        defaults = region_head_options()
        unknown = sorted(set(self.region_head) - set(defaults))
        if unknown:
            raise ValueError(
                f"Unknown region head options {unknown}. Expected names from {sorted(defaults)}. "
                f"Received: region_head={dict(self.region_head)}"
            )
        # Only what differs from the head's defaults, so equal recipes compare equal.
        changed = {key: value for key, value in self.region_head.items() if value != defaults[key]}
        object.__setattr__(self, "region_head", changed)

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
        # Head fields absent from a dict (or unset) keep the head's defaults.
        head = {key: rr[key] for key in region_head_options() if rr.get(key) is not None}
        data = config.get("data") or {}
        return cls(
            name=config.get("name", "run"),
            pixel_loss=config["loss"]["name"],
            region_rebalance=bool(rr["enabled"]),
            loss_weight=float(rr["loss_weight"]),
            region_head=head,
            auxiliary_head=bool(auxiliary.get("enabled", False)),
            auxiliary_loss_weight=float(auxiliary.get("loss_weight", cls.auxiliary_loss_weight)),
            auxiliary_channels=int(auxiliary.get("channels", cls.auxiliary_channels)),
            repeat_factor_threshold=data.get("repeat_factor_threshold"),
            copy_paste=(data.get("copy_paste") or {}).get("mode", "none"),
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
        if self.region_rebalance or self.auxiliary_head:
            auxiliary_head = None
            if self.auxiliary_head:
                # OCRNet trains a head of its own graph (`InGraphAuxiliaryHead`).
                auxiliary_head = auxiliary_head_for(
                    segmenter, num_classes, channels=self.auxiliary_channels, loss_weight=self.auxiliary_loss_weight
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
                feature_layer=feature_layer,
                **self.region_head,
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
        track_loss_seed_generator(segmenter, loss)  # BLV's noise advances on JAX too
        return segmenter


BASELINE = Variant("baseline")
REGION_REBALANCE = Variant("region_rebalance", region_rebalance=True)
