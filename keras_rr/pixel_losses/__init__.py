"""Pixel losses: the cross-entropies the segmenter is trained with, and the paper's ablations.

Reading order: `masked_cross_entropy` (the pixel cross-entropy, over labeled pixels, of
the global batch when asked), `class_weighted_cross_entropy` (re-weighting),
`balanced_softmax_cross_entropy` (with `log_class_prior`, the prior the region loss also
uses), `dice_loss`, `blv_cross_entropy` (BLV logit noise by pixel frequency, and
`track_loss_seed_generator`), `by_name` (`make_pixel_loss`). Public names: `keras_rr.losses`.
"""
