from ..utils.class_names import ClassNamesError, load_class_names
from .transforms import (VideoReadError, ViFiColorJitter, ViFiDecordDecode,
                         ViFiDecordInit, ViFiDeferredAugment, ViFiGrayScale,
                         ViFiSampleFrames, ViFiSequentialDecode)
from .video_dataset import AnnotationError, ViFiVideoDataset, check_class_count

__all__ = [
    'load_class_names', 'ClassNamesError', 'ViFiVideoDataset',
    'AnnotationError', 'check_class_count', 'VideoReadError', 'ViFiDecordInit',
    'ViFiDecordDecode', 'ViFiSampleFrames', 'ViFiColorJitter', 'ViFiGrayScale',
    'ViFiDeferredAugment', 'ViFiSequentialDecode'
]
