"""Segmenters and training recipes (`Variant`) from the `model`, `loss` and `region_rebalance` sections."""

from keras_rr.training.experiment import Variant


def build_segmenter(model_config, num_classes):
    """Builds the segmenter named by the `model` section (random weights, logits out).

    Args:
        model_config: the config's `model` section: `name` (`"deeplab_v3_plus_resnet"`,
            `"segformer_mit"` or `"small_fcn"`), `image_size`, `depth`, `variant`,
            `width`, and optionally `encoder_weights` (a `.weights.h5` file of the
            encoder, `segmenter.backbone.image_encoder`, e.g. ImageNet-pretrained) and
            `init_weights` (a `.weights.h5` file of the whole segmenter), loaded here.
        num_classes: int.

    Returns:
        A functional `keras.Model`.

    Example:

    >>> segmenter = build_segmenter(config.model, num_classes=150)
    """
    from keras_rr.models import segmenter_builders

    name = model_config.name
    size = model_config.image_size
    if name == "deeplab_v3_plus_resnet":
        segmenter = segmenter_builders.deeplab_v3_plus_resnet(num_classes, depth=model_config.depth, image_size=size)
    elif name == "segformer_mit":
        segmenter = segmenter_builders.segformer_mit(num_classes, variant=model_config.variant, image_size=size)
    elif name == "small_fcn":
        segmenter = segmenter_builders.small_fcn(num_classes, image_size=size, width=model_config.width)
    else:
        raise ValueError(
            "`model.name` must be 'deeplab_v3_plus_resnet', 'segformer_mit' or 'small_fcn'. "
            f"Received: model.name={name!r}"
        )
    if model_config.get("encoder_weights"):
        encoder = getattr(getattr(segmenter, "backbone", None), "image_encoder", None)
        if encoder is None:
            raise ValueError(
                f"`model.encoder_weights` needs a KerasHub segmenter with `backbone.image_encoder`. "
                f"Received: model.name={name!r}"
            )
        encoder.load_weights(model_config.encoder_weights)
    if model_config.get("init_weights"):
        segmenter.load_weights(model_config.init_weights)
    return segmenter


def training_variant(config):
    """The `keras_rr.training.experiment.Variant` described by a config.

    Args:
        config: `ml_collections.ConfigDict` with `loss` and `region_rebalance` sections.

    Returns:
        `Variant`.

    Example:

    >>> training_variant(load_config("configs/synthetic/small_fcn_rr.py")).region_rebalance
    True
    """
    rr = config.region_rebalance
    return Variant(
        name=config.get("name", "run"),
        pixel_loss=config.loss.name,
        region_rebalance=bool(rr.enabled),
        loss_weight=float(rr.loss_weight),
        rebalance=bool(rr.rebalance),
        projection_dim=rr.get("projection_dim") or None,
        label_smoothing=float(rr.label_smoothing),
        pooling_resolution=rr.pooling_resolution,
    )
