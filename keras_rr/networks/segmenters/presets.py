"""KerasHub presets without surprises: handles that fail fast offline, and their normalisation.

A preset is named by a *handle*: a built-in KerasHub name (`"resnet_50_imagenet"`), a
Kaggle (`"kaggle://keras/resnetv1/keras/resnet_50_imagenet/3"`) or Hugging Face
(`"hf://org/model"`) handle, or a local directory written by `save_to_preset`.
KerasHub downloads a remote handle on first use and, without a network, retries for
minutes before failing. `resolve_preset` answers within seconds instead:

- a local directory is used as it is (offline);
- a remote handle is used when its host answers an HTTPS request within `timeout`
  seconds (through the proxy the environment names), unless an offline switch is set:
  `KERAS_RR_OFFLINE=1` (any handle), `HF_HUB_OFFLINE=1` / `TRANSFORMERS_OFFLINE=1`
  (Hugging Face handles);
- otherwise a copy already in the kagglehub / Hugging Face cache is used, and without
  one a `PresetUnavailableError` names the handle and says how to bring it over as a
  directory.

`load_task_preset` and `load_backbone_preset` load through it and return the
normalisation the preset's image converter applies (`scale`, `offset` for 0-255 RGB
inputs), which the segmenter builders beside this module put inside the model
(`keras_rr.models.NormalizedSegmenter`). `resolve_encoder` is how every builder that
takes an encoder reads its `encoder` / `backbone_preset` arguments.

KerasHub, kagglehub and huggingface_hub are imported inside the functions, so
`import keras_rr` never needs them.
"""

import json
import logging
import os
import threading
import urllib.error
import urllib.request

from keras_rr import validation
from keras_rr.networks.backbones.pyramid_encoder import square_image_shape
from keras_rr.networks.backbones.resnet_c import dilated_resnet
from keras_rr.networks.backbones.resnet_c import resnet_c_config
from keras_rr.networks.backbones.resnet_v1c import resnet_v1c_encoder
from keras_rr.networks.segmenters.normalized_segmenter import NormalizedSegmenter

OFFLINE_ENV = "KERAS_RR_OFFLINE"
PROBE_TIMEOUT = 3.0
_TRUTHY = ("1", "true", "t", "yes", "y", "on")
# scheme -> (endpoint whose host is probed, offline switches besides OFFLINE_ENV).
_REMOTES = {
    "kaggle": ("https://api.kaggle.com", ()),
    "hf": (None, ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")),  # endpoint: HF_ENDPOINT
    "modelscope": ("https://www.modelscope.cn", ()),
    "gs": ("https://storage.googleapis.com", ()),
}

# ImageNet mean/std as `x * scale + offset` on 0-255 RGB: what KerasHub's ImageNet ResNet
# and MiT / SegFormer image converters apply.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGENET_NORMALIZATION = {
    "scale": tuple(1.0 / (255.0 * s) for s in IMAGENET_STD),
    "offset": tuple(-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)),
}

_LOG = logging.getLogger(__name__)


class PresetUnavailableError(ConnectionError):
    """A remote KerasHub preset whose host cannot be reached, with no local copy."""


def probe_endpoint(url, timeout=PROBE_TIMEOUT):
    """Why `url` cannot be reached within `timeout` seconds, or None when it answers.

    Sends one `HEAD` request (through the proxy the environment names, as downloads
    do); any HTTP answer, an error status included, counts as reachable. A TLS
    handshake is part of it, so a middlebox that accepts every connection but is not the
    host does not pass. The request runs in a daemon thread that is waited for at most
    `timeout` seconds in all, name lookup included.

    Args:
        url: str. E.g. `"https://api.kaggle.com"`.
        timeout: float. Seconds. Defaults to `PROBE_TIMEOUT` (3).

    Returns:
        None when reachable, else a str saying what went wrong.

    Example:

    >>> probe_endpoint("https://huggingface.co")  # None online
    """
    outcome = []

    def probe():
        request = urllib.request.Request(url, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                outcome.append(None)
        except urllib.error.HTTPError:  # the host answered
            outcome.append(None)
        except (OSError, ValueError) as error:  # URLError, TLS and socket errors, timeouts
            outcome.append(str(getattr(error, "reason", error)) or type(error).__name__)

    thread = threading.Thread(target=probe, name="keras_rr_preset_probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        return f"no answer within {timeout:g} s"
    return outcome[0]


def offline_switch(scheme=None):
    """The name of the environment variable that declares this process offline, or None.

    Args:
        scheme: str or None. A handle's scheme (`"hf"` also honours `HF_HUB_OFFLINE`
            and `TRANSFORMERS_OFFLINE`). Defaults to `None` (`KERAS_RR_OFFLINE` only).

    Returns:
        str or None.
    """
    names = (OFFLINE_ENV,) + _REMOTES.get(scheme, (None, ()))[1]
    for name in names:
        if os.environ.get(name, "").strip().lower() in _TRUTHY:
            return name
    return None


def _check_handle(handle):
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str) or not handle.strip():
        raise ValueError(
            "A preset must be a KerasHub preset name, a kaggle:// or hf:// handle, or a local "
            f"directory. Received: preset={handle!r}"
        )
    return handle.strip()


def _builtin_handle(name):
    """The Kaggle handle of a built-in KerasHub preset name, or None."""
    import keras_hub

    for registry in (keras_hub.models.Backbone, keras_hub.models.Task):
        preset = registry.presets.get(name)
        if preset is not None:
            return preset["kaggle_handle"]
    return None


def _kaggle_cache(handle):
    """A kagglehub cache directory holding the preset's `config.json`, or None."""
    try:
        from kagglehub.cache import Cache
        from kagglehub.handle import parse_model_handle

        parsed = parse_model_handle(handle.split("://", 1)[1])
        cache = Cache()
        if parsed.is_versioned():
            candidates = [parsed]
        else:  # the newest version in the cache (asking which is newest needs the network)
            root = os.path.dirname(cache.get_path(parsed.with_version(1)))
            versions = sorted((int(v) for v in os.listdir(root) if v.isdigit()), reverse=True)
            candidates = [parsed.with_version(v) for v in versions]
        for candidate in candidates:
            if cache.load_from_cache(candidate) or cache.load_from_cache(candidate, "config.json"):
                directory = cache.get_path(candidate)
                if os.path.isfile(os.path.join(directory, "config.json")):
                    return directory
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    return None


def _hf_cache(handle):
    """The Hugging Face cache snapshot holding the preset's `config.json`, or None."""
    try:
        import huggingface_hub

        path = huggingface_hub.try_to_load_from_cache(handle.split("://", 1)[1], "config.json")
    except (ImportError, ValueError, OSError):
        return None
    return os.path.dirname(path) if isinstance(path, str) and os.path.isfile(path) else None


def _save_hint(handle, kind):
    if kind == "task":
        load = f"keras_hub.models.ImageSegmenter.from_preset({handle!r}).save_to_preset(d)"
    else:
        load = (
            f"keras_hub.models.Backbone.from_preset({handle!r}).save_to_preset(d); "
            f"keras_hub.layers.ImageConverter.from_preset({handle!r}).save_to_preset(d)"
        )
    return (
        "To use it offline, save it to a directory on a machine with network access, copy that "
        f"directory here and pass its path instead of the handle:\n    d = 'my_preset'; {load}"
    )


def resolve_preset(handle, kind="task", timeout=PROBE_TIMEOUT):
    """What to pass to KerasHub's `from_preset`: a local directory or a reachable handle.

    Never waits more than about `timeout` seconds: a local directory is returned as is;
    a remote handle (a built-in name, `kaggle://`, `hf://`, `modelscope://`, `gs://`)
    is returned when its host answers a `HEAD` request within `timeout` seconds
    (`probe_endpoint`) and no offline switch is set (`offline_switch`); otherwise a
    copy in the kagglehub / Hugging Face cache is returned, or a
    `PresetUnavailableError` raised that names the handle and how to bring it over.

    Args:
        handle: str or path-like. A KerasHub preset name, a `kaggle://` / `hf://` handle
            or a local preset directory.
        kind: `"task"` or `"backbone"`: what the preset is loaded as (only the advice
            in the error differs). Defaults to `"task"`.
        timeout: float. Seconds to wait for the host. Defaults to `PROBE_TIMEOUT` (3).

    Returns:
        str: a local directory, or the handle itself when its host answers.

    Raises:
        ValueError: not a directory, not a known preset name and not a handle.
        PresetUnavailableError: a remote handle that cannot be reached, not cached.

    Example:

    >>> resolve_preset("presets/resnet_50_imagenet")  # a directory: no network involved
    'presets/resnet_50_imagenet'
    >>> resolve_preset("resnet_50_imagenet")  # offline: PresetUnavailableError within ~3 s
    """
    handle = _check_handle(handle)
    local = os.path.expanduser(handle)
    if os.path.isdir(local):
        return local
    remote = handle
    if "://" not in handle:
        looks_like_path = handle.startswith((".", "~", os.sep)) or os.sep in handle
        remote = None if looks_like_path else _builtin_handle(handle)
        if remote is None:
            what = "not an existing directory" if looks_like_path else (
                "neither an existing directory nor a KerasHub preset name"
            )
            raise ValueError(
                f"Preset {handle!r} is {what}"
                + ("" if looks_like_path else " (see keras_hub.models.Backbone.presets / Task.presets)")
                + f". Received: preset={handle!r}"
            )
    scheme = remote.split("://", 1)[0].lower()
    endpoint = _REMOTES.get(scheme, (None, ()))[0]
    if scheme == "hf":
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    if scheme == "kaggle" and os.environ.get("KAGGLE_KERNEL_RUN_TYPE"):
        endpoint = None  # inside a Kaggle notebook kagglehub reads its mounted cache
    switch = offline_switch(scheme)
    if switch is None:
        if endpoint is None:
            return handle
        problem = probe_endpoint(endpoint, timeout)
        if problem is None:
            return handle
        reason = f"{endpoint} cannot be reached ({problem})"
    else:
        reason = f"{switch}={os.environ[switch]} is set"
    cached = {"kaggle": _kaggle_cache, "hf": _hf_cache}.get(scheme, lambda _: None)(remote)
    if cached is not None:
        _LOG.info("Preset %r: %s; using the cached copy in %s.", handle, reason, cached)
        return cached
    shown = handle if remote == handle else f"{handle} ({remote})"
    raise PresetUnavailableError(
        f"Cannot load the KerasHub preset {shown}: {reason}, and no copy of it is in the local "
        f"kagglehub / Hugging Face cache. {_save_hint(handle, kind)}"
    )


def _values(value):
    """None, a float, or a tuple of floats (a converter may hold lists or arrays)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return tuple(float(v) for v in value)


def _converter_normalization(converter):
    return {"scale": _values(converter.scale), "offset": _values(converter.offset)}


def preset_normalization(resolved):
    """The `scale` / `offset` of a preset's image converter, or None if it has none.

    Args:
        resolved: str. What `resolve_preset` returned.

    Returns:
        dict `{"scale": ..., "offset": ...}` (for 0-255 RGB inputs) or None.
    """
    import keras_hub

    try:
        converter = keras_hub.layers.ImageConverter.from_preset(resolved)
    except FileNotFoundError:  # no `image_converter.json` in the preset
        return None
    return _converter_normalization(converter)


def _default_normalization(handle, default):
    _LOG.warning(
        "Preset %r has no image converter; normalising its inputs with the default of its "
        "family: scale=%s, offset=%s.", handle, default["scale"], default["offset"],
    )
    return dict(default)


def _with_input_size(model, image_size):
    """`model` rebuilt for `(image_size, image_size, C)` inputs (same weights), if it differs."""
    import keras

    shape = tuple(model.inputs[0].shape[1:])
    if image_size is None or shape[:2] == (image_size, image_size):
        return model
    channels = shape[-1]

    def resize(node):
        if isinstance(node, dict):
            return {
                key: (
                    [image_size, image_size, channels]
                    if key == "image_shape" and isinstance(value, (list, tuple)) and len(value) == 3
                    else resize(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [resize(value) for value in node]
        return node

    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    config.pop("compile_config", None)  # an uncompiled copy; the caller compiles
    rebuilt = keras.saving.deserialize_keras_object(resize(config))
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def _reheaded(task, num_classes):
    """The task with a fresh `num_classes` classifier on the same backbone, if it differs."""
    if num_classes is None or getattr(task, "num_classes", None) == num_classes:
        return task
    config = task.get_config()
    for key in ("backbone", "preprocessor", "num_classes", "name", "trainable", "dtype"):
        config.pop(key, None)
    return type(task)(backbone=task.backbone, preprocessor=task.preprocessor, num_classes=num_classes, **config)


def load_task_preset(handle, num_classes=None, image_size=None, task_class=None, default_normalization=None,
                     timeout=PROBE_TIMEOUT, **kwargs):
    """A KerasHub segmentation task from a whole-task preset, and its input normalisation.

    Args:
        handle: str or path-like. See `resolve_preset`.
        num_classes: int or None. When it differs from the preset's, the classifier is
            replaced by a fresh one (backbone and decoder keep the preset's weights, as
            `from_preset(handle, num_classes=...)` gives in KerasHub); when equal or None,
            the preset's classifier and its weights are kept. Defaults to `None`.
        image_size: int or None. Square input size; the network is rebuilt for it (same
            weights) when the preset's differs. Defaults to `None` (the preset's).
        task_class: a KerasHub `ImageSegmenter` class (e.g.
            `keras_hub.models.DeepLabV3ImageSegmenter`), which the preset must hold.
            Defaults to `keras_hub.models.ImageSegmenter` (any).
        default_normalization: dict or None. Used, with a warning, when the preset has no
            image converter. Defaults to ImageNet mean/std (`IMAGENET_NORMALIZATION`).
        timeout: float. See `resolve_preset`.
        **kwargs: passed to `task_class.from_preset` (e.g. `activation`).

    Returns:
        `(task, normalization)`: the KerasHub task (its `preprocessor` kept) and a dict
        `{"scale": ..., "offset": ...}` for 0-255 RGB inputs.
    """
    import keras_hub

    resolved = resolve_preset(handle, kind="task", timeout=timeout)
    task_class = task_class or keras_hub.models.ImageSegmenter
    task = task_class.from_preset(resolved, **kwargs)
    task = _with_input_size(_reheaded(task, num_classes), image_size)
    converter = getattr(getattr(task, "preprocessor", None), "image_converter", None)
    if converter is not None:
        normalization = _converter_normalization(converter)
    else:
        normalization = preset_normalization(resolved) or _default_normalization(
            handle, default_normalization or IMAGENET_NORMALIZATION
        )
    return task, normalization


def load_backbone_preset(handle, image_size=None, pyramid_levels=None, default_normalization=None,
                         timeout=PROBE_TIMEOUT):
    """A KerasHub backbone from a backbone preset, and its input normalisation.

    The normalisation is the preset's image converter's (`image_converter.json`, which
    KerasHub's ImageNet presets carry); a preset without one gets `default_normalization`
    with a warning.

    Args:
        handle: str or path-like. See `resolve_preset`.
        image_size: int or None. Square input size (`image_shape=(s, s, 3)`). Defaults to
            `None` (the preset's).
        pyramid_levels: sequence of str or None. Keys of `backbone.pyramid_outputs` the
            caller's head reads (e.g. `("P2", "P5")` for DeepLabV3+); a backbone without
            them is refused with a `ValueError`. Defaults to `None` (no check).
        default_normalization: dict or None. Defaults to ImageNet mean/std.
        timeout: float. See `resolve_preset`.

    Returns:
        `(backbone, normalization)`.

    Example:

    >>> encoder, normalization = load_backbone_preset("presets/resnet_50_imagenet", 512, ("P2", "P5"))
    """
    import keras_hub

    resolved = resolve_preset(handle, kind="backbone", timeout=timeout)
    kwargs = {} if image_size is None else {"image_shape": (image_size, image_size, 3)}
    backbone = keras_hub.models.Backbone.from_preset(resolved, **kwargs)
    levels = getattr(backbone, "pyramid_outputs", None) or {}
    missing = [key for key in pyramid_levels or () if key not in levels]
    if missing:
        raise ValueError(
            f"Backbone preset {handle!r} holds a {type(backbone).__name__} without the pyramid levels "
            f"{missing} this head reads (it has {sorted(levels)}): pass a backbone preset of the right "
            "family (a ResNet for DeepLabV3+, a MiT for SegFormer), or a whole segmenter as `preset`. "
            f"Received: backbone_preset={handle!r}"
        )
    normalization = preset_normalization(resolved) or _default_normalization(
        handle, default_normalization or IMAGENET_NORMALIZATION
    )
    return backbone, normalization


def check_preset_arguments(preset, backbone_preset):
    """Refuses `preset` (a whole segmenter) and `backbone_preset` (an encoder) together."""
    if preset is not None and backbone_preset is not None:
        raise ValueError(
            "Pass either `preset` (a whole segmenter) or `backbone_preset` (an encoder under our "
            f"head), not both. Received: preset={preset!r}, backbone_preset={backbone_preset!r}"
        )


def resolve_encoder(encoder, backbone_preset, build_random, image_size=None, pyramid_levels=None):
    """The encoder a builder starts from: the one given, a backbone preset's, or a random one.

    Args:
        encoder: a KerasHub backbone or None.
        backbone_preset: str, path-like or None. A KerasHub backbone preset (name,
            handle or `save_to_preset` directory), loaded with `load_backbone_preset`.
        build_random: callable `() -> backbone`, called when neither is given.
        image_size: int or None. Passed to `load_backbone_preset`. Defaults to `None`.
        pyramid_levels: tuple of str or None. The levels the builder reads, checked by
            `load_backbone_preset`. Defaults to `None`.

    Returns:
        `(encoder, normalization)`: the backbone, and the preset's image converter
        normalisation (`{"scale", "offset"}`, for `with_normalization`) or None.

    Raises:
        ValueError: both `encoder` and `backbone_preset` given.

    Example:

    >>> encoder, normalization = resolve_encoder(None, "resnet_vd_50_imagenet", random_resnet_c)
    """
    if backbone_preset is not None:
        if encoder is not None:
            raise ValueError(
                f"Pass `encoder` or `backbone_preset`, not both. Received: backbone_preset={backbone_preset!r} "
                "and an encoder"
            )
        return load_backbone_preset(backbone_preset, image_size, pyramid_levels)
    return (build_random() if encoder is None else encoder), None


def dilated_resnet_c_inputs(depth, encoder, backbone_preset, output_stride, image_size, pyramid_levels):
    """The images input and dilated ResNet-c maps a d8/d16 segmenter (DeepLabV3+, PSPNet) starts from.

    Args:
        depth: int. Depth of the random ResNet-c built when neither `encoder` nor
            `backbone_preset` is given.
        encoder: a `keras_hub.models.ResNetBackbone`, None or `"resnet_vd"`
            (KerasHub's ResNet-vd), or `"resnet_v1c"` / a
            `keras_rr.models.resnet_v1c_backbone` model (mmseg's ResNetV1c: the images
            are then normalised as mmseg does, `IMAGENET_NORMALIZATION` on 0-255 RGB).
        backbone_preset: str, path-like or None. A KerasHub ResNet backbone preset.
        output_stride: int. 8 or 16 (`keras_rr.models.dilated_resnet`).
        image_size: int or None. Square input size.
        pyramid_levels: tuple of str. The levels the head reads (checked on a preset).

    Returns:
        `(images, features, normalization)`: the `keras.Input` (layer `"images"`), the
        dict of maps `P2`..`P5` of the dilated encoder (layer `"image_encoder"`), and
        the preset's normalisation or None (for `with_normalization`).

    Example:

    >>> images, features, normalization = dilated_resnet_c_inputs(50, None, None, 8, 512, ("P4", "P5"))
    """
    import keras
    import keras_hub

    v1c = resnet_v1c_encoder(encoder, depth, output_stride, image_size)
    if v1c is not None:
        check_v1c_without_preset(backbone_preset)
        images = keras.Input(square_image_shape(image_size), name="images")
        return images, v1c(images), IMAGENET_NORMALIZATION
    if isinstance(encoder, str):
        encoder = None  # "resnet_vd": KerasHub's
    encoder, normalization = resolve_encoder(
        encoder, backbone_preset, lambda: keras_hub.models.ResNetBackbone(**resnet_c_config(depth)),
        pyramid_levels=pyramid_levels,
    )
    image_shape = square_image_shape(image_size)
    image_encoder = dilated_resnet(encoder, output_stride, image_shape=image_shape, name="image_encoder")
    images = keras.Input(image_shape, name="images")
    return images, image_encoder(images), normalization


def check_v1c_without_preset(backbone_preset):
    """Refuses a KerasHub backbone preset beside a ResNetV1c encoder (it would be ResNet-vd).

    Args:
        backbone_preset: str, path-like or None.

    Raises:
        ValueError: `backbone_preset` is set.
    """
    if backbone_preset is not None:
        raise ValueError(
            "`encoder='resnet_v1c'` (mmseg's ResNetV1c) takes no KerasHub `backbone_preset` (KerasHub's "
            "ResNet presets are ResNet-vd); load its open-mmlab weights from a torch checkpoint instead "
            f"(`model.encoder_checkpoint`). Received: backbone_preset={backbone_preset!r}"
        )


def with_normalization(segmenter, normalization):
    """`segmenter` behind a `keras_rr.models.NormalizedSegmenter`, or as is when None.

    Args:
        segmenter: a `keras.Model`.
        normalization: `{"scale", "offset"}` (a preset's image converter) or None.

    Returns:
        A `NormalizedSegmenter` around `segmenter`, or `segmenter`.

    Example:

    >>> segmenter = with_normalization(segmenter, {"scale": 1 / 255, "offset": 0.0})
    """
    if normalization is None:
        return segmenter
    return NormalizedSegmenter(segmenter, **normalization)


def segmenter_from_preset(preset, num_classes=None, image_size=None, task_class=None, **kwargs):
    """Any KerasHub segmentation task from a whole-task preset, taking 0-255 RGB images.

    `keras_hub.models.ImageSegmenter.from_preset` (or `task_class.from_preset`) through
    `resolve_preset`: a local directory loads offline, a remote handle fails within
    seconds when its host cannot be reached. The task's image converter normalisation
    becomes the model's first layer (`keras_rr.models.NormalizedSegmenter`), so training,
    evaluation, `predict` and every export take 0-255 RGB images and normalise them
    identically.

    Args:
        preset: str or path-like. A KerasHub preset name (e.g.
            `"deeplab_v3_plus_resnet50_pascalvoc"`, `"segformer_b0_ade20k_512"`), a
            `kaggle://` / `hf://` handle or a directory written by `save_to_preset`.
        num_classes: int or None. A count other than the preset's replaces the classifier
            by a fresh one (the backbone and decoder keep the preset's weights); the
            preset's count or None keeps its classifier. Defaults to `None`.
        image_size: int or None. Square input size; the network is rebuilt for it (same
            weights) when the preset's differs. Defaults to `None` (the preset's).
        task_class: KerasHub `ImageSegmenter` class the preset must hold. Defaults to
            `None` (any `keras_hub.models.ImageSegmenter`).
        **kwargs: `from_preset` arguments such as `activation` (DeepLabV3).

    Returns:
        A `keras_rr.models.NormalizedSegmenter` whose `inner` is the KerasHub task.

    Example:

    ```python
    segmenter = segmenter_from_preset("segformer_b0_ade20k_512", num_classes=19, image_size=512)
    segmenter = segmenter_from_preset("/models/segformer_b0_ade20k_512", num_classes=19)  # offline
    ```
    """
    if num_classes is not None:
        num_classes = validation.check_num_classes(num_classes)
    image_size = validation.check_int(image_size, "image_size", minimum=1, allow_none=True)
    task, normalization = load_task_preset(
        preset, num_classes=num_classes, image_size=image_size, task_class=task_class, **kwargs
    )
    return with_normalization(task, normalization)
