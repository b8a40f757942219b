from .clip_vision import ViFiCLIPBackbone

__all__ = ['ViFiCLIPBackbone']
