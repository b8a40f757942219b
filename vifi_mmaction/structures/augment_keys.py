"""What a deferred augmentation leaves in a sample for the model to apply.

``ViFiDeferredAugment`` (a dataset transform) draws the parameters and
``ViFiBatchAugPreprocessor`` (a model's data preprocessor) applies them; both
read the key and the no-op values here, so neither package imports the other.
"""
__all__ = ['AUG_KEY', 'IDENTITY_FACTORS']

#: Key of the drawn parameters in the results dict and the sample metainfo.
AUG_KEY = 'vifi_aug'
#: The no-op factor of each jitter operation (brightness, contrast,
#: saturation, hue), in the order of the colour-jitter operations.
IDENTITY_FACTORS = (1., 1., 1., 0.)
