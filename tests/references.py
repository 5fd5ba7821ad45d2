"""NumPy references of the formulas keras_rr implements, written once for every test.

Each one follows `docs/method.md` literally (loops where that is clearer than
vectorised code), in float64, so a test compares a backend's result against an
independent computation rather than against the code under test.
"""

import numpy as np


def np_log_softmax(z):
    """log softmax over the last axis."""
    z = np.asarray(z, "float64")
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def np_cell_centres(in_size, out_size):
    """Source indices of nearest sampling at cell centres: floor((i + 0.5) * in / out)."""
    return [(2 * i + 1) * in_size // (2 * out_size) for i in range(out_size)]


def np_sample_labels_nearest(labels, height, width):
    """Labels `(B, H, W)` brought to `(height, width)` by nearest sampling at cell centres."""
    labels = np.asarray(labels)
    rows = np_cell_centres(labels.shape[1], height)
    cols = np_cell_centres(labels.shape[2], width)
    return labels[:, rows][:, :, cols]


def np_region_mean(features, labels, num_classes, ignore_class=255):
    """Mean feature of every (image, class) region on the feature grid, and the region mask.

    Labels are sampled to the feature grid at cell centres; pixels of `ignore_class` or
    outside `[0, K)` belong to no region.

    Returns:
        `(region_features float64 (B, K, C), region_mask bool (B, K))`.
    """
    batch, height, width, channels = features.shape
    sampled = np_sample_labels_nearest(labels, height, width)
    out = np.zeros((batch, num_classes, channels), "float64")
    mask = np.zeros((batch, num_classes), bool)
    for b in range(batch):
        for k in range(num_classes):
            if k == ignore_class:
                continue
            sel = sampled[b] == k
            if sel.any():
                out[b, k] = features[b][sel].astype("float64").mean(axis=0)
                mask[b, k] = True
    return out, mask


def np_region_losses(region_logits, region_mask, region_frequency=None, label_smoothing=0.0):
    """Per-region balanced-softmax cross-entropy of `(B, K, K)` logits, and the valid ones.

    Region `(b, k)` has class `k`; the prior is `log(max(F, 1))`; smoothed targets are
    `(1 - eps) * one_hot + eps / K`.

    Returns:
        float64 list of the losses of the valid regions, in (b, k) order.
    """
    logits = np.asarray(region_logits, "float64")
    num_classes = logits.shape[-1]
    if region_frequency is not None:
        logits = logits + np.log(np.maximum(np.asarray(region_frequency, "float64"), 1.0))
    losses = []
    for b in range(logits.shape[0]):
        for k in range(num_classes):
            if not region_mask[b, k]:
                continue
            log_p = np_log_softmax(logits[b, k])
            target = np.full(num_classes, label_smoothing / num_classes)
            target[k] += 1.0 - label_smoothing
            losses.append(-(target * log_p).sum())
    return losses


def np_region_rebalance_loss(region_logits, region_mask, region_frequency=None, label_smoothing=0.0):
    """Mean of `np_region_losses` over valid regions (0 when there is none)."""
    losses = np_region_losses(region_logits, region_mask, region_frequency, label_smoothing)
    return float(np.mean(losses)) if losses else 0.0


def np_region_loss_of_features(features, labels, kernel, bias, region_frequency, num_classes, ignore_class=255):
    """The whole region branch: region means -> Dense(kernel, bias) -> balanced softmax CE."""
    region_features, mask = np_region_mean(features, labels, num_classes, ignore_class)
    logits = region_features @ np.asarray(kernel, "float64") + np.asarray(bias, "float64")
    return np_region_rebalance_loss(logits, mask, region_frequency)


def np_weighted_region_loss(features, labels, pixel_weights, kernel, bias, region_frequency, num_classes,
                            ignore_class=255):
    """The region branch with Keras sample weights (per-pixel `(B, H, W)`).

    Pixels of weight 0 do not pool; each region's loss is multiplied by the mean weight
    of its pixels on the feature grid; the sum is divided by the number of regions.
    """
    labels = np.where(np.asarray(pixel_weights) > 0, labels, ignore_class)
    region_features, mask = np_region_mean(features, labels, num_classes, ignore_class)
    grid_weights = np_sample_labels_nearest(np.asarray(pixel_weights, "float64"), *features.shape[1:3])
    region_weights, _ = np_region_mean(grid_weights[..., None], labels, num_classes, ignore_class)
    logits = region_features @ np.asarray(kernel, "float64") + np.asarray(bias, "float64")
    losses = np_region_losses(logits, mask, region_frequency)
    return float(np.sum(np.asarray(losses) * region_weights[..., 0][mask]) / max(mask.sum(), 1))


def np_sparse_cross_entropy(labels, logits, class_weights=None, ignore_class=255):
    """Per-pixel (optionally class-weighted) CE from logits, 0 at ignored pixels, and its mean.

    Returns:
        `(per_pixel, mean over labeled pixels)`.
    """
    labels = np.asarray(labels)
    valid = labels != ignore_class
    safe = np.where(valid, labels, 0)
    picked = -np.take_along_axis(np_log_softmax(logits), safe[..., None], -1)[..., 0]
    weights = 1.0 if class_weights is None else np.asarray(class_weights, "float64")[safe]
    per_pixel = picked * weights * valid
    return per_pixel, per_pixel.sum() / max(valid.sum(), 1)


def np_dice_loss(labels, logits, num_classes, ignore_class=255, smooth=1.0):
    """Soft multi-class Dice loss over the labeled pixels of a batch."""
    labels = np.asarray(labels)
    valid = (labels != ignore_class)[..., None].astype("float64")
    p = np.exp(np_log_softmax(logits)) * valid
    t = np.eye(num_classes)[np.where(labels != ignore_class, labels, 0)] * valid
    axes = tuple(range(p.ndim - 1))
    dice = (2 * (p * t).sum(axes) + smooth) / (p.sum(axes) + t.sum(axes) + smooth)
    return 1.0 - dice.mean()


def np_softmax(z):
    """softmax over the last axis."""
    return np.exp(np_log_softmax(z))


def np_confusion_matrix(labels, preds, num_classes, ignore_class=255, sample_weight=None):
    """`(K, K)` confusion matrix counted pixel by pixel (rows: label, columns: prediction).

    A pixel counts when its label is a class id in `[0, K)` other than `ignore_class`
    and its prediction is in `[0, K)`. `sample_weight` is `None`, per image `(B,)` or per
    pixel (the labels' shape).
    """
    labels = np.asarray(labels)
    preds = np.asarray(preds)
    weights = np.ones(labels.shape) if sample_weight is None else np.asarray(sample_weight, "float64")
    if weights.ndim == 1:
        weights = weights.reshape((-1,) + (1,) * (labels.ndim - 1)) * np.ones(labels.shape)
    cm = np.zeros((num_classes, num_classes))
    for label, pred, weight in zip(labels.ravel(), preds.ravel(), weights.reshape(labels.shape).ravel()):
        if 0 <= label < num_classes and label != ignore_class and 0 <= pred < num_classes:
            cm[label, pred] += weight
    return cm


def np_slide_inference(model_fn, images, crop, stride):
    """mmseg `slide_inference` transcribed: window scores averaged, then softmax.

    `model_fn` maps a NumPy window `(B, crop, crop, C)` to scores of the same size;
    windows of `crop` move by `stride`, the last one of each row and column shifted
    back to end at the border. Square crops and strides; images at least `crop` in
    size.
    """
    b, h, w, _ = images.shape
    grids_h = max(h - crop + stride - 1, 0) // stride + 1
    grids_w = max(w - crop + stride - 1, 0) // stride + 1
    total = None
    count = np.zeros((h, w))
    for i in range(grids_h):
        for j in range(grids_w):
            y1, x1 = i * stride, j * stride
            y2, x2 = min(y1 + crop, h), min(x1 + crop, w)
            y1, x1 = max(y2 - crop, 0), max(x2 - crop, 0)
            scores = np.asarray(model_fn(images[:, y1:y2, x1:x2]), "float64")
            if total is None:
                total = np.zeros((b, h, w, scores.shape[-1]))
            total[:, y1:y2, x1:x2] += scores
            count[y1:y2, x1:x2] += 1
    return np_softmax(total / count[None, :, :, None])


def np_class_counts(label_maps, num_classes, ignore_class=255):
    """Per-class statistics by their definition (docs/method.md, section 2), one class at a time.

    n_k = pixels equal to k; F(k) = label maps with any pixel equal to k.

    Returns:
        `(pixel_counts int64 (K,), region_counts int64 (K,), ignored pixels int)`.
    """
    pixels = np.zeros(num_classes, dtype=np.int64)
    regions = np.zeros(num_classes, dtype=np.int64)
    ignored = 0
    for label in label_maps:
        label = np.asarray(label)
        ignored += int((label == ignore_class).sum())
        for k in range(num_classes):
            n = int((label == k).sum())
            pixels[k] += n
            regions[k] += n > 0
    return pixels, regions, ignored


def np_ade20k_training_ids(raw_labels):
    """ADE20K raw label values to training ids (docs/method.md, section 6): 0 -> 255, k -> k - 1."""
    raw_labels = np.asarray(raw_labels)
    return np.where((raw_labels == 0) | (raw_labels > 150), 255, raw_labels.astype(np.int32) - 1)


def np_cv2_rgb_to_hsv_uint8(rgb):
    """OpenCV's 8-bit RGB -> HSV (`cv2.COLOR_RGB2HSV`): H in [0, 180) (degrees / 2), S and V in [0, 255].

    V = max, S = round(255 (V - min) / V), H = round(30 * sextant) with the sextant taken
    from the largest channel (red first, then green, on ties), as OpenCV's documentation
    and fixed-point code define it.
    """
    rgb = np.asarray(rgb, np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = rgb.max(-1)
    diff = v - rgb.min(-1)
    s = np.where(v > 0, np.floor(255.0 * diff / np.maximum(v, 1) + 0.5), 0)
    sextant = np.where(r == v, (g - b), np.where(g == v, b - r + 2 * diff, r - g + 4 * diff)) / np.maximum(diff, 1)
    h = np.floor(30.0 * sextant + 0.5)
    h = np.where(diff > 0, np.mod(h, 180), 0)
    return np.stack([h, s, v], -1).astype(np.uint8)


def np_cv2_hsv_to_rgb_uint8(hsv):
    """OpenCV's 8-bit HSV -> RGB (`cv2.COLOR_HSV2RGB`): the float hexcone formula, rounded."""
    hsv = np.asarray(hsv, np.float64)
    h, s, v = hsv[..., 0] * 2.0 / 60.0, hsv[..., 1] / 255.0, hsv[..., 2]
    sector = np.floor(h).astype(int) % 6
    f = h - np.floor(h)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros(hsv.shape, np.float64)
    for k, channels in enumerate(table):
        out[sector == k] = np.stack(channels, -1)[sector == k]
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def np_mmseg_saturation_and_hue(rgb, saturation=1.0, hue=0):
    """mmseg `PhotoMetricDistortion.saturation` then `.hue` on a uint8 image (one or both).

    Saturation: S <- uint8(clip(S * saturation, 0, 255)) (truncated); hue: H <- (H + hue)
    mod 180, `hue` an integer on OpenCV's scale; an HSV round trip through uint8 each.
    """
    image = np.asarray(rgb, np.uint8)
    if saturation != 1.0:
        hsv = np_cv2_rgb_to_hsv_uint8(image)
        hsv[..., 1] = np.clip(hsv[..., 1].astype(np.float32) * saturation, 0, 255).astype(np.uint8)
        image = np_cv2_hsv_to_rgb_uint8(hsv)
    if hue != 0:
        hsv = np_cv2_rgb_to_hsv_uint8(image)
        hsv[..., 0] = (hsv[..., 0].astype(int) + hue) % 180
        image = np_cv2_hsv_to_rgb_uint8(hsv)
    return image


def np_torch_sgd(params, gradient_fn, learning_rates, momentum=0.0, weight_decay=0.0, nesterov=False):
    """`torch.optim.SGD(params, lr, momentum, weight_decay, nesterov)` (dampening 0), by hand.

    Per step t with learning rate `learning_rates[t]` (set before the step, as an mmseg
    schedule does): `g = grad + wd * p` (coupled L2), `buf = momentum * buf + g` (`buf`
    starts at `g`, i.e. at 0 before the first update), `d = g + momentum * buf` (Nesterov)
    or `buf`, `p -= lr * d`.

    Args:
        params: list of arrays, the initial values.
        gradient_fn: callable mapping the current list of params to their gradients.
        learning_rates: the learning rate of each step (its length is the step count).
        weight_decay: float, or one float per param (torch's parameter groups; 0 for the
            params excluded from decay).

    Returns:
        The list of params after the steps, float64.
    """
    params = [np.asarray(p, np.float64).copy() for p in params]
    buffers = [np.zeros_like(p) for p in params]
    decays = np.broadcast_to(np.asarray(weight_decay, np.float64), (len(params),))
    for lr in learning_rates:
        grads = gradient_fn([p.copy() for p in params])
        for p, g, buf, wd in zip(params, grads, buffers, decays):
            g = np.asarray(g, np.float64) + wd * p
            if momentum:
                buf *= momentum
                buf += g
                g = g + momentum * buf if nesterov else buf
            p -= lr * g
    return params


def np_adamw(params, gradient_fn, learning_rates, weight_decay, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """`keras.optimizers.AdamW` by hand: decoupled decay, then the Adam step.

    Per step t = 1, 2, ... with learning rate `lr = learning_rates[t - 1]`:
    `p *= 1 - lr * wd` (torch's AdamW decay), `m = b1 m + (1 - b1) g`,
    `v = b2 v + (1 - b2) g^2`, `p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`
    (Keras puts `eps` outside the bias correction of `v`; torch inside:
    `eps * sqrt(1 - b2^t)` instead of `eps`, a 1e-7-scale difference).

    Args:
        params: list of arrays, the initial values.
        gradient_fn: callable mapping the current list of params to their gradients.
        learning_rates: the learning rate of each step (its length is the step count).
        weight_decay: float, or one float per param (0 for the excluded params).

    Returns:
        The list of params after the steps, float64.
    """
    params = [np.asarray(p, np.float64).copy() for p in params]
    firsts = [np.zeros_like(p) for p in params]
    seconds = [np.zeros_like(p) for p in params]
    decays = np.broadcast_to(np.asarray(weight_decay, np.float64), (len(params),))
    for t, lr in enumerate(learning_rates, start=1):
        grads = gradient_fn([p.copy() for p in params])
        for p, g, m, v, wd in zip(params, grads, firsts, seconds, decays):
            g = np.asarray(g, np.float64)
            p *= 1.0 - lr * wd
            m += (1.0 - beta_1) * (g - m)
            v += (1.0 - beta_2) * (g * g - v)
            p -= lr * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t) * m / (np.sqrt(v) + epsilon)
    return params


def torch_authors_region_loss(features, labels, reducer, mlp, region_frequency, num_classes, s=0.5,
                              prior_epsilon=1e-12, ignore_class=255):
    """The authors' released region branch, written in plain torch (float64) from its
    description (issue 13; docs/method.md section 3): 1x1 conv (no bias) + BatchNorm with
    batch statistics -> bilinear upsampling to the label size with align_corners=True ->
    one region per class over the whole batch -> Linear + ReLU (-> Dropout, off here) ->
    Linear -> soft-target CE (true class s, the rest (1 - s) / (K - 1)) on
    logits + log(F / sum F + eps), averaged over the regions.

    Args: features `(B, h, w, C)`, labels `(B, H, W)`, reducer `(kernel (C, D), gamma,
    beta)`, mlp `(w1 (D, P), b1, w2 (P, K), b2)` as NumPy arrays.

    Returns: `(loss, d loss / d features)` as NumPy float64.
    """
    import torch

    f = torch.tensor(features, dtype=torch.float64, requires_grad=True)
    kernel, gamma, beta = (torch.tensor(np.asarray(a), dtype=torch.float64) for a in reducer)
    w1, b1, w2, b2 = (torch.tensor(np.asarray(a), dtype=torch.float64) for a in mlp)
    x = f @ kernel
    mean = x.mean(dim=(0, 1, 2))
    var = x.var(dim=(0, 1, 2), unbiased=False)
    x = (x - mean) / torch.sqrt(var + 1e-5) * gamma + beta
    height, width = labels.shape[1:]
    x = torch.nn.functional.interpolate(
        x.permute(0, 3, 1, 2), size=(height, width), mode="bilinear", align_corners=True
    ).permute(0, 2, 3, 1)
    labels = torch.tensor(labels)
    valid = (labels >= 0) & (labels < num_classes) & (labels != ignore_class)
    regions, classes = [], []
    for k in range(num_classes):
        member = valid & (labels == k)
        if member.any():
            regions.append(x[member].mean(dim=0))
            classes.append(k)
    hidden = torch.relu(torch.stack(regions) @ w1 + b1)
    logits = hidden @ w2 + b2
    freq = torch.tensor(np.asarray(region_frequency, "float64"))
    log_probs = torch.log_softmax(logits + torch.log(freq / freq.sum() + prior_epsilon), dim=-1)
    targets = torch.full_like(log_probs, (1.0 - s) / (num_classes - 1))
    targets[torch.arange(len(classes)), torch.tensor(classes)] = s
    loss = -(targets * log_probs).sum(dim=-1).mean()
    loss.backward()
    return loss.item(), f.grad.numpy()


# mmsegmentation's heads written out in plain torch (NCHW), from their definitions, as
# independent references. `weights` maps a layer name to its Keras weights (NumPy, in
# Keras order: conv kernel (kh, kw, cin, cout) [+ bias]; BN gamma, beta, mean, variance);
# the names follow the Keras models' only to copy the weights over.
def _torch_tensor(x):
    import torch

    return torch.from_numpy(np.ascontiguousarray(x, dtype="float32"))


def torch_conv_module(x, weights, prefix, dilation=1):
    """mmcv `ConvModule` (conv without bias, torch padding, inference BN eps 1e-5, ReLU)."""
    import torch.nn.functional as F

    (kernel,) = weights[f"{prefix}_conv"]
    gamma, beta, mean, variance = (_torch_tensor(w) for w in weights[f"{prefix}_bn"])
    kernel = _torch_tensor(kernel).permute(3, 2, 0, 1)
    y = F.conv2d(x, kernel, padding=dilation * (kernel.shape[-1] - 1) // 2, dilation=dilation)
    return F.relu(F.batch_norm(y, mean, variance, gamma, beta, training=False, eps=1e-5))


def torch_resize(x, size):
    """mmseg's `resize(..., mode="bilinear", align_corners=False)`."""
    import torch.nn.functional as F

    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def torch_ppm(x, weights, prefix, pool_scales):
    """mmseg's `PPM`: AdaptiveAvgPool2d(s) -> 1x1 ConvModule -> resize to x."""
    import torch.nn.functional as F

    return [
        torch_resize(torch_conv_module(F.adaptive_avg_pool2d(x, s), weights, f"{prefix}_{s}"), x.shape[2:])
        for s in pool_scales
    ]


def torch_conv_seg(x, weights, name="classifier"):
    """mmseg's `cls_seg` at inference: the 1x1 conv with bias (dropout is off)."""
    import torch.nn.functional as F

    kernel, bias = weights[name]
    return F.conv2d(x, _torch_tensor(kernel).permute(3, 2, 0, 1), _torch_tensor(bias))


def _nchw(x):
    return _torch_tensor(x).permute(0, 3, 1, 2)


def _nhwc(x):
    return x.permute(0, 2, 3, 1).numpy()


def torch_uper_head(features, weights, pool_scales, image_size):
    """mmseg `UPerHead._forward_feature` + `cls_seg` + the segmentor's resize to the image.

    Args:
        features: list of four NHWC NumPy maps, finest first.

    Returns:
        NHWC NumPy logits at `image_size`.
    """
    import torch

    inputs = [_nchw(f) for f in features]
    laterals = [torch_conv_module(inputs[i], weights, f"lateral_{i}") for i in range(3)]
    psp = torch.cat([inputs[3]] + torch_ppm(inputs[3], weights, "psp", pool_scales), dim=1)
    laterals.append(torch_conv_module(psp, weights, "psp_bottleneck"))
    for i in range(3, 0, -1):  # in place: each level adds the already-updated one above
        laterals[i - 1] = laterals[i - 1] + torch_resize(laterals[i], laterals[i - 1].shape[2:])
    outs = [torch_conv_module(laterals[i], weights, f"fpn_{i}") for i in range(3)] + [laterals[3]]
    for i in range(3, 0, -1):
        outs[i] = torch_resize(outs[i], outs[0].shape[2:])
    feats = torch_conv_module(torch.cat(outs, dim=1), weights, "fpn_bottleneck")
    return _nhwc(torch_resize(torch_conv_seg(feats, weights), (image_size, image_size)))


def torch_psp_head(x, weights, pool_scales, image_size):
    """mmseg `PSPHead` (PPM, concat with the input, 3x3 bottleneck) + `cls_seg` + resize."""
    import torch

    x = _nchw(x)
    feats = torch_conv_module(torch.cat([x] + torch_ppm(x, weights, "psp", pool_scales), dim=1), weights,
                              "psp_bottleneck")
    return _nhwc(torch_resize(torch_conv_seg(feats, weights), (image_size, image_size)))


def torch_fcn_head(x, weights, num_convs=1):
    """mmseg `FCNHead` (`concat_input=False`) at inference: ConvModules + `cls_seg`."""
    x = _nchw(x)
    for i in range(num_convs):
        x = torch_conv_module(x, weights, f"conv_{i}")
    return _nhwc(torch_conv_seg(x, weights))


def layer_weights(layers):
    """`{layer name: [NumPy weights]}` of the given layers (e.g. `model.layers`) with weights."""
    import keras

    return {layer.name: [keras.ops.convert_to_numpy(w) for w in layer.weights] for layer in layers if layer.weights}


# OCRNet's heads (mmseg `FCNHead` + `OCRHead` in a `CascadeEncoderDecoder`) in plain
# torch, NCHW, from mmseg's definitions, reading a state dict keyed by mmseg's parameter
# names (`decode_head.1.object_context_block.key_project.0.conv.weight`, ...).
def torch_mmcv_conv_module(x, state, prefix, padding=0):
    """mmcv `ConvModule` at inference from `state[f"{prefix}.conv.weight"]`, `.bn.*`."""
    import torch.nn.functional as F

    y = F.conv2d(x, state[f"{prefix}.conv.weight"], padding=padding)
    y = F.batch_norm(y, state[f"{prefix}.bn.running_mean"], state[f"{prefix}.bn.running_var"],
                     state[f"{prefix}.bn.weight"], state[f"{prefix}.bn.bias"], training=False, eps=1e-5)
    return F.relu(y)


def torch_ocr_net_heads(branches, state, image_size, ocr_channels):
    """mmseg OCRNet's decode heads on HRNet branches, and the segmentor's resize to the image.

    Args:
        branches: four NHWC NumPy maps, finest first.
        state: dict mmseg parameter name -> torch tensor (`decode_head.0.*`, `decode_head.1.*`).
        image_size: int. The segmentor resizes the OCR logits to it.
        ocr_channels: int. `SelfAttentionBlock.channels` (its `matmul_norm` scale).

    Returns:
        `(soft_regions, logits)`: NHWC NumPy FCN logits at stride 4 and OCR logits at
        `image_size`.
    """
    import torch
    import torch.nn.functional as F

    inputs = [_nchw(b) for b in branches]
    # BaseDecodeHead._transform_inputs, input_transform="resize_concat".
    x = torch.cat([torch_resize(t, inputs[0].shape[2:]) for t in inputs], dim=1)
    # FCNHead(kernel_size=1, num_convs=1, concat_input=False, dropout_ratio=-1) + cls_seg.
    h = torch_mmcv_conv_module(x, state, "decode_head.0.convs.0")
    prev = F.conv2d(h, state["decode_head.0.conv_seg.weight"], state["decode_head.0.conv_seg.bias"])
    # OCRHead.forward.
    feats = torch_mmcv_conv_module(x, state, "decode_head.1.bottleneck", padding=1)
    b, k = prev.shape[:2]
    c = feats.shape[1]
    probs = F.softmax(prev.view(b, k, -1), dim=2)  # SpatialGatherModule, scale 1
    context = torch.matmul(probs, feats.view(b, c, -1).permute(0, 2, 1)).permute(0, 2, 1).unsqueeze(3)
    block = "decode_head.1.object_context_block"
    query = feats
    for i in range(2):
        query = torch_mmcv_conv_module(query, state, f"{block}.query_project.{i}")
    key = context
    for i in range(2):
        key = torch_mmcv_conv_module(key, state, f"{block}.key_project.{i}")
    value = torch_mmcv_conv_module(context, state, f"{block}.value_project")
    query = query.reshape(b, ocr_channels, -1).permute(0, 2, 1)
    key = key.reshape(b, ocr_channels, -1)
    value = value.reshape(b, ocr_channels, -1).permute(0, 2, 1)
    sim = F.softmax((ocr_channels ** -0.5) * torch.matmul(query, key), dim=-1)
    attended = torch.matmul(sim, value).permute(0, 2, 1).reshape(b, -1, *feats.shape[2:])
    attended = torch_mmcv_conv_module(attended, state, f"{block}.out_project")
    out = torch_mmcv_conv_module(torch.cat([attended, feats], dim=1), state, f"{block}.bottleneck")
    logits = F.conv2d(out, state["decode_head.1.conv_seg.weight"], state["decode_head.1.conv_seg.bias"])
    return _nhwc(prev), _nhwc(torch_resize(logits, (image_size, image_size)))


def randomize_torch_batch_norms(module):
    """Draws every `torch.nn.BatchNorm2d` of `module`'s scale, shift and running statistics.

    timm zero-initialises the last BN of each residual block, so an untouched reference
    would let the blocks vanish and a comparison test miss them.
    """
    import torch

    with torch.no_grad():
        for child in module.modules():
            if isinstance(child, torch.nn.BatchNorm2d):
                child.weight.uniform_(0.5, 1.5)
                child.bias.normal_(0.0, 0.1)
                child.running_mean.normal_(0.0, 0.1)
                child.running_var.uniform_(0.5, 1.5)
    return module
