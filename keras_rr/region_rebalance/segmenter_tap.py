"""Finds a segmenter's decoder features and pixel logits, sharing its layers.

Region Rebalance needs the tensor the pixel classifier reads (the decoder features) and
the pre-softmax pixel logits. `tap_segmenter` builds a functional model
`images -> (logits, features)` out of the segmenter's own layers, so it shares every
weight and costs nothing beyond the segmenter's forward pass.
"""

import collections

import keras

from keras_rr import validation
from keras_rr.networks.segmenters.normalized_segmenter import NormalizedSegmenter

SegmenterTap = collections.namedtuple(
    "SegmenterTap", ["model", "outputs_probabilities", "description"]
)
SegmenterTap.__doc__ = """What `tap_segmenter` found.

Fields:
    model: functional model `images -> [logits, features]` (`+ [auxiliary features]`
        when an auxiliary layer was asked for), sharing the segmenter's layers.
    outputs_probabilities: bool. The segmenter's own output is softmax probabilities.
    description: str. Which tensor `features` is.
"""

# Layers that carry no weights and map the classifier output (or its input) pixelwise or
# spatially; walking back over them from the model output reaches the classifier.
_PASS_THROUGH = (
    keras.layers.Activation,
    keras.layers.Softmax,
    keras.layers.Resizing,
    keras.layers.UpSampling2D,
    keras.layers.Dropout,
    keras.layers.SpatialDropout2D,
    keras.layers.Identity,
)
_DROPOUT = (keras.layers.Dropout, keras.layers.SpatialDropout2D, keras.layers.Identity)


class LinearPart(keras.layers.Layer):
    """Calls a Conv/Dense layer with its activation switched off (pre-softmax logits).

    Shares the wrapped layer's weights. Needed for heads that fuse `softmax` into the
    classifier conv (KerasCV DeepLabV3Plus, KerasHub DeepLabV3 with `activation=...`),
    because the pixel loss must see logits (and the torch backend breaks on
    `from_logits=False` with 4-D inputs in Keras 3.15).
    """

    def __init__(self, layer, **kwargs):
        super().__init__(dtype=layer.dtype_policy, **kwargs)
        self.layer = layer

    def call(self, inputs):
        # Recompute the layer's linear part from its own weights instead of toggling its
        # activation: toggling would race when replicas trace concurrently.
        layer = self.layer
        if isinstance(layer, keras.layers.Dense):
            outputs = keras.ops.matmul(inputs, layer.kernel)
            if layer.use_bias:
                outputs = outputs + layer.bias
            return outputs
        outputs = layer.convolution_op(inputs, layer.kernel)
        if layer.use_bias:
            if layer.data_format == "channels_last":
                outputs = outputs + layer.bias
            else:
                outputs = outputs + keras.ops.reshape(layer.bias, (1, -1) + (1,) * (len(outputs.shape) - 2))
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


def _is_softmax(activation):
    return activation is keras.activations.softmax or getattr(activation, "__name__", "") == "softmax"


def _producer(model, tensor):
    """The top-level layer of `model` whose (single) output is `tensor`, or None."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            continue  # a nested model's `.output` is its internal tensor, not ours
        try:
            output = layer.output
        except (AttributeError, ValueError):
            continue  # layer used several times: ambiguous, skip
        if output is tensor:
            return layer
    return None


def _candidates(model):
    names = []
    for layer in model.layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if len(shape) == 4:
            names.append(f"{layer.name} {tuple(shape)}")
    return names


def _cannot_tap(model, reason):
    candidates = _candidates(model)
    return ValueError(
        f"Cannot find the decoder features of {type(model).__name__} '{model.name}': "
        f"{reason}. Pass `feature_layer=<name>`, the layer whose 4-D output the pixel "
        f"classifier reads. Candidate layers (name, output shape): {candidates}"
    )


def _strip_softmax(model, output):
    """Returns `(logits, outputs_probabilities)` for a model output tensor."""
    layer = _producer(model, output)
    if isinstance(layer, (keras.layers.Softmax,)) or (
        isinstance(layer, keras.layers.Activation) and _is_softmax(layer.activation)
    ):
        return layer.input, True
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) and _is_softmax(layer.activation):
        return LinearPart(layer, name=f"{layer.name}_logits")(layer.input), True
    return output, False


def _walk_to_classifier(model, output, num_classes):
    """Walks back from `output` over weightless layers to the pixel classifier.

    Returns:
        `(features, path)`: the tensor the classifier reads (before any dropout) and the
        layers from the classifier to the output, in forward order.
    """
    tensor = output
    path = []
    for _ in range(len(model.layers) + 1):
        layer = _producer(model, tensor)
        if layer is None:
            raise _cannot_tap(model, "the layer producing its output is nested or shared")
        path.insert(0, layer)
        if isinstance(layer, _PASS_THROUGH):
            tensor = layer.input
            continue
        is_classifier = isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
        if not is_classifier or layer.output.shape[-1] != num_classes:
            raise _cannot_tap(
                model,
                f"expected a Conv2D/Dense classifier with {num_classes} output channels "
                f"before the output, found '{layer.name}' ({type(layer).__name__})",
            )
        features = layer.input
        feature_layer = _producer(model, features)
        while isinstance(feature_layer, _DROPOUT):
            # Pool the clean features, not the dropped-out ones the classifier sees.
            features = feature_layer.input
            feature_layer = _producer(model, features)
        return features, path
    raise _cannot_tap(model, "no classifier found")


def _is_interpolation(layer):
    return isinstance(layer, (keras.layers.UpSampling2D, keras.layers.Resizing))


def _apply_to_logits(path, x):
    """Re-applies the classifier path to `x`, stopping before any softmax."""
    for layer in path:
        if isinstance(layer, keras.layers.Softmax) or (
            isinstance(layer, keras.layers.Activation) and _is_softmax(layer.activation)
        ):
            break
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) and _is_softmax(layer.activation):
            return LinearPart(layer, name=f"{layer.name}_logits")(x)
        x = layer(x)
    return x


def _before_upsampling(segmenter, features, path):
    """Moves the tap before a bilinear upsampling that feeds the classifier, if any.

    Region means of an upsampled map equal those of the map itself up to interpolation
    at region borders, at 1/16 of the cost for a 4x upsampling (KerasHub DeepLabV3
    upsamples its 1/4-resolution decoder map to full size right before the classifier).

    Returns:
        `(inputs, logits, features)` for the tap, or None when nothing applies.
    """
    producer = _producer(segmenter, features)
    if _is_interpolation(producer):
        return None  # top-level upsampling: handled by the caller with producer.input
    # KerasHub pattern: the segmenter is built on `backbone.input`, and the backbone (a
    # nested model) ends with the upsampling. Inline the backbone's own graph and re-apply
    # the classifier path to its output, so the graph still runs everything once.
    nested = [
        layer
        for layer in segmenter.layers
        if isinstance(layer, keras.Model)
        and len(layer.inputs) == 1
        and len(layer.outputs) == 1
        and layer.inputs[0] is segmenter.inputs[0]
        and tuple(layer.outputs[0].shape) == tuple(features.shape)
    ]
    if len(segmenter.inputs) != 1 or len(nested) != 1:
        return None
    backbone = nested[0]
    upsampling = _producer(backbone, backbone.outputs[0])
    if not _is_interpolation(upsampling):
        return None
    logits = _apply_to_logits(path, backbone.outputs[0])
    return backbone.inputs, logits, upsampling.input


def _tap_keras_cv_deeplab_v3_plus(segmenter, pool_before_upsampling=True):
    """KerasCV DeepLabV3Plus: the classifier sits inside a nested `Sequential` head.

    The head is conv -> norm -> relu -> upsample(4) -> conv(K, softmax). The 256-channel
    decoder map is the relu output; we re-apply the head's layers (shared weights) to
    the top-level `Concatenate` output so the graph yields it, and take logits from the
    last conv with its softmax switched off.
    """
    head = segmenter.segmentation_head
    concat = [layer for layer in segmenter.layers if isinstance(layer, keras.layers.Concatenate)]
    if not isinstance(head, keras.Sequential) or len(concat) != 1 or len(head.layers) < 4:
        raise _cannot_tap(segmenter, "unrecognised KerasCV DeepLabV3Plus head")
    x = concat[0].output
    for layer in head.layers[:3]:
        x = layer(x)
    features = x
    for layer in head.layers[3:-1]:
        x = layer(x)
    if not pool_before_upsampling:
        features = x  # the upsampled map the classifier reads
    classifier = head.layers[-1]
    if isinstance(classifier, (keras.layers.Conv2D, keras.layers.Dense)) and _is_softmax(classifier.activation):
        logits = LinearPart(classifier, name="segmentation_logits")(x)
        probabilities = True
    else:
        logits, probabilities = classifier(x), False
    name = head.layers[2].name if pool_before_upsampling else head.layers[-2].name
    return logits, features, probabilities, f"{head.name}.{name}"


def _named_map(segmenter, name, fail):
    """The 4-D output of the top-level layer `name`; `fail(reason)` makes the error otherwise."""
    try:
        layer = segmenter.get_layer(name)
    except ValueError:
        raise fail(f"there is no layer named '{name}'") from None
    try:
        output = layer.output
    except (AttributeError, ValueError):
        raise fail(f"layer '{name}' has several outputs") from None
    if not hasattr(output, "shape") or len(output.shape) != 4:
        raise fail(f"layer '{name}' does not output a 4-D map")
    return output


def _auxiliary_output(segmenter, auxiliary_layer):
    """The output tensor of the top-level layer `auxiliary_layer` of `segmenter`."""

    def fail(reason):
        return ValueError(
            f"The auxiliary head needs a 4-D feature map from a top-level layer of '{segmenter.name}': "
            f"{reason}. Segmenters built by keras_rr.models.uper_net_*, psp_net_resnet_c and "
            "deeplab_v3_plus_resnet_c name their stage-3 map 'auxiliary_features'; for another "
            "functional model pass `auxiliary_feature_layer=<name>`. Candidate layers (name, output "
            f"shape): {_candidates(segmenter)}"
        )

    return _named_map(segmenter, auxiliary_layer, fail)


def tap_segmenter(segmenter, num_classes, feature_layer=None, pool_before_upsampling=True, auxiliary_layer=None):
    """Builds `images -> (pixel_logits, decoder_features)` from a segmenter's layers.

    Supported automatically: KerasHub `DeepLabV3ImageSegmenter` and
    `SegFormerImageSegmenter`, KerasCV `DeepLabV3Plus`, any functional model whose
    output is reached from a Conv/Dense classifier through weightless layers (resizing,
    upsampling, dropout, softmax), and a `keras_rr.models.NormalizedSegmenter` around any
    of these. Otherwise name the feature layer (of the inner segmenter, for a
    `NormalizedSegmenter`).

    Args:
        segmenter: a functional `keras.Model` mapping images to per-pixel class scores.
        num_classes: int. Number of classes.
        feature_layer: str or None. Name of the top-level layer whose output is the
            decoder feature map. Defaults to `None` (automatic).
        pool_before_upsampling: bool. When found automatically and the classifier
            reads a bilinearly upsampled map (KerasHub DeepLabV3, KerasCV
            DeepLabV3Plus), tap the map before the upsampling. Defaults to `True`.
        auxiliary_layer: str or None. Name of a top-level layer whose 4-D output the
            tap returns as a third output (the auxiliary head's input, e.g.
            `"auxiliary_features"`). Defaults to `None`.

    Returns:
        `SegmenterTap(model, outputs_probabilities, description)`: `model` maps the
        segmenter's inputs to `(logits, features)` (plus the auxiliary map when
        `auxiliary_layer` is set); `outputs_probabilities` is True when the segmenter's
        own output is softmax probabilities.

    Example:

    >>> tap = tap_segmenter(segmenter, num_classes=150)
    >>> logits, features = tap.model(images)
    """
    if not isinstance(segmenter, keras.Model) or not hasattr(segmenter, "inputs") or not segmenter.inputs:
        raise ValueError(
            "`segmenter` must be a functional keras.Model (KerasHub/KerasCV segmenters "
            f"are). Received: {type(segmenter).__name__}"
        )
    if len(segmenter.outputs) != 1:
        raise ValueError(
            "`segmenter` must have a single output of per-pixel class scores. "
            f"Received: {len(segmenter.outputs)} outputs"
        )
    output = segmenter.outputs[0]
    if len(output.shape) != 4 or output.shape[-1] != num_classes:
        hint = ""
        if len(output.shape) == 4 and output.shape[-1] is not None:
            hint = f" The segmenter classifies {output.shape[-1]} classes. " + validation.reheading_hint(num_classes)
        raise ValueError(
            f"The segmenter's output must be (batch, height, width, {num_classes}) "
            f"(channels_last). Received: output shape {tuple(output.shape)}.{hint}"
        )

    if isinstance(segmenter, NormalizedSegmenter):
        return _tap_normalized(segmenter, num_classes, feature_layer, pool_before_upsampling, auxiliary_layer)
    extra = [] if auxiliary_layer is None else [_auxiliary_output(segmenter, auxiliary_layer)]
    if feature_layer is not None:
        features = _named_map(segmenter, feature_layer, lambda reason: _cannot_tap(segmenter, reason))
        logits, probabilities = _strip_softmax(segmenter, output)
        description = feature_layer
    elif type(segmenter).__name__ == "DeepLabV3Plus" and hasattr(segmenter, "segmentation_head"):
        logits, features, probabilities, description = _tap_keras_cv_deeplab_v3_plus(
            segmenter, pool_before_upsampling
        )
    else:
        logits, probabilities = _strip_softmax(segmenter, output)
        features, path = _walk_to_classifier(segmenter, output, num_classes)
        description = f"input of '{path[0].name}'"
        if pool_before_upsampling:
            producer = _producer(segmenter, features)
            moved = _before_upsampling(segmenter, features, path)
            if moved is not None:
                inputs, logits, features = moved
                description += " before its upsampling"
                model = keras.Model(inputs, [logits, features, *extra], name=f"{segmenter.name}_tap")
                return SegmenterTap(model, probabilities, description)
            if _is_interpolation(producer):
                features = producer.input
                description += f" before '{producer.name}'"
    model = keras.Model(segmenter.inputs, [logits, features, *extra], name=f"{segmenter.name}_tap")
    return SegmenterTap(model, probabilities, description)


def _tap_normalized(segmenter, num_classes, feature_layer, pool_before_upsampling, auxiliary_layer):
    """Taps the inner segmenter and feeds it the normalised images of the outer input."""
    inner = tap_segmenter(segmenter.inner, num_classes, feature_layer, pool_before_upsampling, auxiliary_layer)
    outputs = inner.model(segmenter.normalization(segmenter.inputs[0]))
    model = keras.Model(segmenter.inputs, list(outputs), name=f"{segmenter.name}_tap")
    return SegmenterTap(model, inner.outputs_probabilities, f"{inner.description} after '{segmenter.normalization.name}'")
