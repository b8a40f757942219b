from .batch_augment import ViFiBatchAugPreprocessor, apply_deferred_augment
from .batch_ops import (adjust_brightness, adjust_contrast, adjust_hue,
                        adjust_saturation, jitter_frames, rgb_to_grayscale_pil)

__all__ = [
    'ViFiBatchAugPreprocessor', 'apply_deferred_augment', 'adjust_brightness',
    'adjust_contrast', 'adjust_saturation', 'adjust_hue',
    'rgb_to_grayscale_pil', 'jitter_frames'
]
