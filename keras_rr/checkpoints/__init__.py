"""Torch checkpoints into Keras models: `load_torch_weights` and its parts, one concept per module.

1. `reading`: a `.pth` / `.pt` / `.bin` / `.safetensors` file or a mapping -> `{name: NumPy array}`
   (`state_dict` / `model` / `module` nesting unwrapped; torch imported only for torch files).
2. `layouts`: which layout the keys are in (timm, mmcv / mmseg backbone, mmseg segmentor), and
   the keys renamed to a trained mmseg segmentor's names (`backbone.`, `neck.`,
   `decode_head.`, `auxiliary_head.`), with what is skipped and why.
3. `keras_names`: the mmseg name of every Keras variable (the naming contract: layers named by
   mmseg module paths; explicit tables for the parts that predate it) and how a torch
   array becomes the variable's value (NCHW kernels, Linear transposes, ...).
4. `relative_position`: the one hook through which relative-position tables are resized.
5. `report`: `LoadReport` (loaded, skipped, resized, missing, kept).
6. `loading`: `load_torch_weights`, re-exported by `keras_rr.models`.

Nothing here imports torch, timm or mmseg at module level.
"""
