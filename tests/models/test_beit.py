"""BEiT (`keras_rr.models.beit_backbone`) against timm's `Beit`, and the table resizing against SciPy.

A tiny BEiT (64 px: a 4 x 4 patch grid, 32 wide, 2 heads, 3 blocks) gets timm's random
weights (every parameter randomised, layer scales and relative position tables included)
through the naming contract, and its block outputs equal timm's `forward_intermediates`
(no final norm) to 1e-4 relative on every backend. `resize_relative_position_table` is
compared with a literal transcription of mmseg's `_geometric_sequence_interpolation`
using SciPy's FITPACK spline (mmseg calls `interp2d(kind="cubic")`, removed from SciPy
1.14; `RectBivariateSpline(s=0)` is the spline it fitted).
"""

import numpy as np
import pytest

from keras_rr.models import beit_backbone
from keras_rr.models import resize_relative_position_table
from keras_rr.networks.backbones.beit_transformer_layer import BEiTTransformerLayer
from keras_rr.networks.layers.beit_attention import relative_position_index
from tests.harness import predict
from tests.harness import to_numpy
from tests.timm_reference import import_timm

SIZE = 64
DIM = 32
HEADS = 2
DEPTH = 3
OUT = (0, 1, 2)


def timm_to_mmseg(state):
    """timm Beit state dict -> `{mmseg key: NumPy array}` (mmseg's `beit2mmseg` renames)."""
    renames = {"blocks.": "layers.", "patch_embed.proj.": "patch_embed.projection.", ".norm1.": ".ln1.",
               ".norm2.": ".ln2.", ".mlp.fc1.": ".ffn.layers.0.0.", ".mlp.fc2.": ".ffn.layers.1."}
    converted = {}
    for key, value in state.items():
        for old, new in renames.items():
            key = key.replace(old, new)
        converted[key] = value.detach().cpu().numpy()
    return converted


def torch_key(variable):
    """The torch key of a Keras variable by the naming contract (`/`, `-` -> `.`, Keras names -> torch's)."""
    keras_names = {"kernel": "weight", "gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
                   "moving_variance": "running_var"}
    path = variable.path.replace("/", ".").replace("-", ".")
    head, _, last = path.rpartition(".")
    if head == last:  # a layer named as its one variable: `cls_token/cls_token`
        return last
    return f"{head}.{keras_names.get(last, last)}"


def copy_torch_weights(variables, state):
    """Copies `{torch key: array}` into the variables named by the contract (test-local importer).

    Conv and transposed-conv kernels (O, I, kh, kw) / (I, O, kh, kw) -> (kh, kw, I, O) /
    (kh, kw, O, I): the same permutation; Linear (out, in) -> (in, out). Variables without a
    key are left as they are. Returns the keys used.
    """
    used = set()
    for variable in variables:
        key = torch_key(variable)
        if key not in state:
            continue
        value = state[key]
        if value.ndim == 4:
            value = value.transpose(2, 3, 1, 0)
        elif value.ndim == 2 and variable.path.endswith("kernel"):
            value = value.T
        assert tuple(value.shape) == tuple(variable.shape), (variable.path, value.shape, variable.shape)
        variable.assign(value)
        used.add(key)
    return used


def random_timm_beit(size, dim, depth, heads, seed=0):
    """timm's `Beit` as mmseg's BEiT (q / v bias, relative position bias per block, no
    absolute position embedding), every parameter random (layer scales and tables included)."""
    import torch

    import_timm()
    from timm.models.beit import Beit

    torch.manual_seed(seed)
    reference = Beit(img_size=size, patch_size=16, num_classes=0, global_pool="avg", embed_dim=dim, depth=depth,
                     num_heads=heads, qkv_bias=True, use_abs_pos_emb=False, use_rel_pos_bias=True,
                     init_values=0.1).eval()
    with torch.no_grad():
        for name, parameter in reference.named_parameters():
            parameter.copy_(torch.randn_like(parameter) * (0.5 if parameter.ndim > 1 else 0.2)
                            + (1.0 if name.endswith(("norm1.weight", "norm2.weight")) else 0.0))
    return reference


@pytest.fixture(scope="module")
def pair():
    pytest.importorskip("torch")
    reference = random_timm_beit(SIZE, DIM, DEPTH, HEADS)
    model = beit_backbone(image_size=SIZE, embed_dim=DIM, depth=DEPTH, num_heads=HEADS, out_indices=OUT,
                          drop_path_rate=0.0)
    state = timm_to_mmseg(reference.state_dict())
    used = copy_torch_weights(model.weights, state)
    assert len(used) == len(model.weights)  # every variable has its key
    return model, reference, set(state) - used


def test_block_outputs_equal_timms_beit(pair):
    import torch

    model, reference, unused = pair
    # Buffers derived from the window, and the classifier head's norm, are not weights of ours.
    assert all("relative_position_index" in k or k.startswith(("fc_norm", "head", "norm")) for k in unused), unused
    images = np.random.default_rng(0).normal(size=(2, SIZE, SIZE, 3)).astype("float32")
    with torch.no_grad():
        expected = reference.forward_intermediates(
            torch.from_numpy(images.transpose(0, 3, 1, 2)), indices=list(OUT), norm=False, intermediates_only=True
        )
    outputs = predict(model, images)
    assert len(outputs) == len(OUT)
    for got, want in zip(outputs, expected):
        want = want.numpy().transpose(0, 2, 3, 1)
        assert got.shape == (2, SIZE // 16, SIZE // 16, DIM)
        scale = np.abs(want).max()
        np.testing.assert_allclose(got / scale, want / scale, atol=1e-4)
        assert np.abs(want).std() > 0.1  # not a degenerate map


def test_layer_and_variable_names_follow_mmseg(pair):
    model = pair[0]
    paths = {v.path for v in model.weights}
    for path in ("patch_embed-projection/kernel", "cls_token/cls_token", "layers-0/ln1/gamma",
                 "layers-0/attn/qkv/kernel", "layers-0/attn/q_bias", "layers-0/attn/v_bias",
                 "layers-0/attn/relative_position_bias_table", "layers-0/attn/proj/bias", "layers-0/gamma_1",
                 "layers-0/gamma_2", "layers-0/ln2/beta", "layers-0/ffn-layers-0-0/kernel",
                 "layers-2/ffn-layers-1/bias"):
        assert path in paths, sorted(paths)
    assert not any("relative_position_index" in p or "k_bias" in p for p in paths)


def test_relative_position_index_is_timms():
    import_timm()
    from timm.models.beit import gen_relative_position_index

    for window in (1, 3, 4):
        expected = gen_relative_position_index((window, window)).numpy()
        np.testing.assert_array_equal(relative_position_index(window), expected)


def test_drop_path_is_per_sample_and_only_in_training():
    block = BEiTTransformerLayer(num_heads=2, window_size=2, drop_path_rate=0.5)
    tokens = np.random.default_rng(1).normal(size=(64, 5, 8)).astype("float32")
    first, second = to_numpy(block(tokens)), to_numpy(block(tokens))
    np.testing.assert_array_equal(first, second)
    trained = to_numpy(block(tokens, training=True))
    # A sample that drew "drop" for both residual branches (probability 1/4 each) comes
    # out as it went in; the others do not.
    unchanged = np.abs(trained - tokens).reshape(64, -1).max(axis=1) < 1e-6
    assert 0 < unchanged.sum() < 40
    assert not np.allclose(trained, first)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"variant": "huge"}, "variant"), ({"image_size": 100}, "multiple of 16"),
     ({"embed_dim": 30, "num_heads": 4}, "divisible"), ({"out_indices": (12,)}, "below depth"),
     ({"out_indices": ()}, "out_indices"), ({"drop_path_rate": 1.0}, "drop_path_rate")],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        beit_backbone(**{"image_size": 64, **kwargs})


def mmseg_geometric_sequence_interpolation(table, source_window, target_window):
    """mmseg's `BEiT.resize_rel_pos_embed` + `_geometric_sequence_interpolation`, literally."""
    interpolate = pytest.importorskip("scipy.interpolate")
    src_size, dst_size = 2 * source_window - 1, 2 * target_window - 1
    extra, rel = table[-3:], table[:-3]

    def geometric_progression(a, r, n):
        return a * (1.0 - r**n) / (1.0 - r)

    left, right = 1.01, 1.5
    while right - left > 1e-6:
        q = (left + right) / 2.0
        gp = geometric_progression(1, q, src_size // 2)
        if gp > dst_size // 2:
            right = q
        else:
            left = q
    dis, cur = [], 1
    for i in range(src_size // 2):
        dis.append(cur)
        cur += q ** (i + 1)
    r_ids = [-_ for _ in reversed(dis)]
    x = r_ids + [0] + dis
    y = r_ids + [0] + dis
    t = dst_size // 2.0
    dx = np.arange(-t, t + 0.1, 1.0)
    dy = np.arange(-t, t + 0.1, 1.0)
    columns = []
    for i in range(table.shape[1]):
        z = rel[:, i].reshape(src_size, src_size).astype("float64")
        # interp2d(x, y, z, kind="cubic")(dx, dy) == the FITPACK s=0 spline on (y, x), read on (dy, dx).
        spline = interpolate.RectBivariateSpline(y, x, z, kx=3, ky=3, s=0)
        columns.append(spline(dy, dx).reshape(-1, 1))
    return np.concatenate([np.concatenate(columns, axis=-1), extra])


@pytest.mark.parametrize("source, target", [(14, 40), (14, 32), (4, 6), (7, 5)])
def test_resize_relative_position_table_equals_mmsegs(source, target):
    rng = np.random.default_rng(source * 100 + target)
    table = rng.normal(size=((2 * source - 1) ** 2 + 3, 3)).astype("float32")
    got = resize_relative_position_table(table, source, target)
    want = mmseg_geometric_sequence_interpolation(table, source, target)
    assert got.shape == ((2 * target - 1) ** 2 + 3, 3) and got.dtype == table.dtype
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[-3:], table[-3:])  # class-token terms kept


def test_resize_relative_position_table_checks_its_input():
    table = np.zeros((732, 16), "float32")
    assert resize_relative_position_table(table, 14, 14) is table
    with pytest.raises(ValueError, match="source_window=13"):
        resize_relative_position_table(table, 13, 40)
    with pytest.raises(ValueError, match="source_window >= 3"):
        resize_relative_position_table(np.zeros((12, 2)), 2, 4)


def test_load_torch_weights_reads_timms_beit_and_resizes_its_tables(pair):
    from keras_rr.models import load_torch_weights

    model, reference, _ = pair
    before = [np.array(to_numpy(v)) for v in model.weights]
    report = load_torch_weights(model, {k: v.numpy() for k, v in reference.state_dict().items()})
    assert (len(report.loaded), len(report.resized), len(report.missing)) == (len(model.weights), 0, 0)
    for value, variable in zip(before, model.weights):
        np.testing.assert_array_equal(value, to_numpy(variable))  # the same weights as the test's own copy
    # A checkpoint at 48 px (window 3) into the 64-px model (window 4): tables resized as mmseg does.
    smaller = random_timm_beit(48, DIM, DEPTH, HEADS, seed=1)
    report = load_torch_weights(model, {k: v.numpy() for k, v in smaller.state_dict().items()})
    assert len(report.resized) == DEPTH
    table = smaller.state_dict()["blocks.1.attn.relative_position_bias_table"].numpy()
    np.testing.assert_allclose(
        to_numpy(model.get_layer("layers-1").attn.relative_position_bias_table),
        resize_relative_position_table(table, 3, 4), rtol=1e-6,
    )
