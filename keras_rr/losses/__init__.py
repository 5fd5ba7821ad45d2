"""keras_rr.losses: the Region Rebalance loss and the pixel losses of the paper's ablations.

A face: the region loss (`RegionRebalanceLoss`, `region_rebalance_loss`,
`region_cross_entropy`) is defined in `keras_rr.region_rebalance`, the pixel losses
(masked, balanced-softmax, class-weighted, BLV and Dice cross-entropies, `make_pixel_loss` by
name) in `keras_rr.pixel_losses`.
"""

from keras_rr.pixel_losses.balanced_softmax_cross_entropy import BalancedSoftmaxCrossEntropy
from keras_rr.pixel_losses.balanced_softmax_cross_entropy import balanced_softmax_cross_entropy
from keras_rr.pixel_losses.balanced_softmax_cross_entropy import log_class_prior
from keras_rr.pixel_losses.blv_cross_entropy import BLVCrossEntropy
from keras_rr.pixel_losses.blv_cross_entropy import blv_logits
from keras_rr.pixel_losses.blv_cross_entropy import blv_scale
from keras_rr.pixel_losses.blv_cross_entropy import track_loss_seed_generator
from keras_rr.pixel_losses.by_name import PIXEL_LOSSES
from keras_rr.pixel_losses.by_name import make_pixel_loss
from keras_rr.pixel_losses.class_weighted_cross_entropy import ClassWeightedCrossEntropy
from keras_rr.pixel_losses.class_weighted_cross_entropy import inverse_frequency_weights
from keras_rr.pixel_losses.dice_loss import DiceCrossEntropy
from keras_rr.pixel_losses.dice_loss import DiceLoss
from keras_rr.pixel_losses.dice_loss import dice_loss
from keras_rr.pixel_losses.masked_cross_entropy import masked_cross_entropy
from keras_rr.region_rebalance.region_rebalance_loss import RegionRebalanceLoss
from keras_rr.region_rebalance.region_rebalance_loss import region_cross_entropy
from keras_rr.region_rebalance.region_rebalance_loss import region_rebalance_loss
