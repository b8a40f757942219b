from .augment import ViFiColorJitter, ViFiGrayScale
from .loading import VideoReadError, ViFiDecordDecode, ViFiDecordInit
from .sampling import ViFiSampleFrames

__all__ = [
    'VideoReadError', 'ViFiDecordInit', 'ViFiDecordDecode', 'ViFiSampleFrames',
    'ViFiColorJitter', 'ViFiGrayScale'
]
