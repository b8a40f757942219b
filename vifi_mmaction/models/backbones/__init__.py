from .clip_vision import ViFiCLIPBackbone
from .frame_wise import ViFiFrameWiseBackbone

__all__ = ['ViFiCLIPBackbone', 'ViFiFrameWiseBackbone']
