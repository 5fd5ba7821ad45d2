"""The segmenters a config names: `build_segmenter(config.model, num_classes)`.

`SEGMENTER_BUILDERS` maps each `model.name` to its builder and the `model` fields it
takes; `check_model_config` validates a `model` section without building anything;
`build_segmenter` builds it, with its presets and weight files.
"""

from keras_rr import validation
from keras_rr.networks.backbones.resnet_v1c import RESNET_ENCODERS
from keras_rr.networks.backbones.resnet_v1c import RESNET_V1C_DEPTHS
from keras_rr.networks.segmenters import presets
from keras_rr.networks.segmenters.deeplab_v3_plus import deeplab_v3_plus_resnet
from keras_rr.networks.segmenters.deeplab_v3_plus import deeplab_v3_plus_resnet_c
from keras_rr.networks.segmenters.ocr_net import ocr_net_hrnet
from keras_rr.networks.segmenters.psp_net import psp_net_resnet_c
from keras_rr.networks.segmenters.segformer import segformer_mit
from keras_rr.networks.segmenters.small_fcn import small_fcn
from keras_rr.networks.segmenters.uper_net import uper_net_beit
from keras_rr.networks.segmenters.uper_net import uper_net_mit
from keras_rr.networks.segmenters.uper_net import uper_net_resnet_c
from keras_rr.networks.segmenters.uper_net import uper_net_swin

# `model.name` in a config -> (builder, the `model` fields it takes).
SEGMENTER_BUILDERS = {
    "deeplab_v3_plus_resnet": (  # KerasHub's, output stride 32
        deeplab_v3_plus_resnet, ("depth", "image_size", "preset", "backbone_preset")
    ),
    "deeplab_v3_plus_resnet_c": (  # the paper's, output stride 8
        deeplab_v3_plus_resnet_c, ("depth", "image_size", "backbone_preset", "channels", "encoder")
    ),
    "psp_net_resnet_c": (  # the paper's
        psp_net_resnet_c, ("depth", "image_size", "backbone_preset", "channels", "encoder")
    ),
    "uper_net_resnet_c": (  # the paper's
        uper_net_resnet_c, ("depth", "image_size", "backbone_preset", "channels", "encoder")
    ),
    "uper_net_swin": (uper_net_swin, ("variant", "image_size", "backbone_preset", "channels")),
    "uper_net_mit": (uper_net_mit, ("variant", "image_size", "backbone_preset", "channels")),
    "uper_net_beit": (uper_net_beit, ("variant", "image_size", "channels")),  # the paper's; torch weights
    "segformer_mit": (segformer_mit, ("variant", "image_size", "preset", "backbone_preset")),
    "ocr_net_hrnet": (ocr_net_hrnet, ("width", "image_size", "channels")),  # the paper's
    "small_fcn": (small_fcn, ("image_size", "width")),
}
MODEL_NAMES = tuple(SEGMENTER_BUILDERS)
# `model` fields naming KerasHub presets; a builder takes them when it lists them.
PRESET_FIELDS = ("preset", "backbone_preset")


def check_model_config(model_config):
    """Checks `model.name` and the preset fields of a config's `model` section (no loading).

    Args:
        model_config: `ml_collections.ConfigDict` or dict.

    Returns:
        str: the model name.

    Raises:
        ValueError: an unknown name, a preset field that is not a non-empty string or
            that the named builder does not take (e.g. `small_fcn`), or both set; an
            `encoder` not in `RESNET_ENCODERS` or for a builder without one;
            `encoder="resnet_v1c"` with a `backbone_preset` or a depth other than 50 / 101.

    Example:

    >>> check_model_config({"name": "segformer_mit", "preset": "segformer_b0_ade20k_512"})
    'segformer_mit'
    """
    name = validation.check_choice(model_config["name"], tuple(SEGMENTER_BUILDERS), "model.name")
    values = {field: model_config.get(field) for field in PRESET_FIELDS}
    for field, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"`model.{field}` must be a KerasHub preset name, a kaggle:// or hf:// handle or a "
                f"directory. Received: model.{field}={value!r}"
            )
        if field not in SEGMENTER_BUILDERS[name][1]:
            takers = [n for n, (_, fields) in SEGMENTER_BUILDERS.items() if field in fields]
            raise ValueError(
                f"`model.{field}` is not supported by model.name={name!r} (models taking it: {takers}). "
                f"Received: model.{field}={value!r}"
            )
    presets.check_preset_arguments(*values.values())
    encoder = model_config.get("encoder")
    if encoder is not None:
        validation.check_choice(encoder, RESNET_ENCODERS, "model.encoder")
        if "encoder" not in SEGMENTER_BUILDERS[name][1]:
            takers = [n for n, (_, fields) in SEGMENTER_BUILDERS.items() if "encoder" in fields]
            raise ValueError(
                f"`model.encoder` is not supported by model.name={name!r} (models taking it: {takers}). "
                f"Received: model.encoder={encoder!r}"
            )
        if encoder == "resnet_v1c":
            presets.check_v1c_without_preset(values["backbone_preset"])
            validation.check_choice(model_config.get("depth", 50), tuple(RESNET_V1C_DEPTHS), "model.depth")
    return name


def build_segmenter(model_config, num_classes):
    """Builds the segmenter named by a config's `model` section (logits out).

    Fields the builder takes but the section leaves out (or sets to None) keep the
    builder's default.

    Args:
        model_config: the config's `model` section, an `ml_collections.ConfigDict` or a
            dict: `name` (one of `MODEL_NAMES`), `image_size`, `depth` (ResNet),
            `variant` (MiT, Swin), `width` (small FCN, HRNet), `channels` (head width of the
            mmseg heads; unset: their 512), `encoder` (the `*_resnet_c` models' ResNet:
            `"resnet_vd"`, KerasHub's, when unset, or `"resnet_v1c"`, mmseg's); optionally `preset` (a whole KerasHub
            task preset of the named family, re-headed to `num_classes`) or
            `backbone_preset` (a KerasHub backbone preset under the named model's head),
            by name, handle or directory (`presets.resolve_preset`); and
            `encoder_weights` (a `.weights.h5` file of the encoder:
            `backbone.image_encoder` of a KerasHub task, or the layer `"image_encoder"` of
            `deeplab_v3_plus_resnet_c`, which loads a KerasHub `ResNetBackbone`'s file,
            e.g. ImageNet-pretrained, as the paper uses) and `init_weights` (a
            `.weights.h5` file of the whole segmenter, as `segmenter.save_weights` writes
            it), loaded in that order.
        num_classes: int. Number of classes.

    Returns:
        A `keras.Model` with random weights unless a preset or weights are named; with a
        preset, a `keras_rr.models.NormalizedSegmenter` taking 0-255 RGB images.

    Example:

    >>> segmenter = build_segmenter({"name": "small_fcn", "image_size": 64}, num_classes=12)
    >>> segmenter = build_segmenter(config.model, num_classes=150)  # a config's section
    >>> segmenter = build_segmenter({"name": "segformer_mit", "image_size": 512,
    ...                              "preset": "segformer_b0_ade20k_512"}, num_classes=150)
    """
    name = check_model_config(model_config)
    num_classes = validation.check_num_classes(num_classes)
    builder, fields = SEGMENTER_BUILDERS[name]
    kwargs = {field: model_config.get(field) for field in fields if model_config.get(field) is not None}
    segmenter = builder(num_classes, **kwargs)
    if model_config.get("encoder_weights"):
        task = getattr(segmenter, "inner", segmenter)  # the model inside a NormalizedSegmenter
        encoder = getattr(getattr(task, "backbone", None), "image_encoder", None)
        if encoder is None and any(layer.name == "image_encoder" for layer in task.layers):
            encoder = task.get_layer("image_encoder")  # deeplab_v3_plus_resnet_c
        if encoder is None:
            raise ValueError(
                "`model.encoder_weights` needs a segmenter with an image encoder (a KerasHub "
                "segmenter's `backbone.image_encoder` or a layer named 'image_encoder'). "
                f"Received: model.name={name!r}"
            )
        encoder.load_weights(model_config["encoder_weights"])
    if model_config.get("init_weights"):
        segmenter.load_weights(model_config["init_weights"])
    return segmenter
