from .augment import ViFiColorJitter, ViFiGrayScale
from .deferred_augment import ViFiDeferredAugment
from .loading import VideoReadError, ViFiDecordDecode, ViFiDecordInit
from .sampling import ViFiSampleFrames
from .sequential_decode import ViFiSequentialDecode

__all__ = [
    'VideoReadError', 'ViFiDecordInit', 'ViFiDecordDecode', 'ViFiSampleFrames',
    'ViFiColorJitter', 'ViFiGrayScale', 'ViFiDeferredAugment',
    'ViFiSequentialDecode'
]
