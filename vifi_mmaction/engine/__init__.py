from .hooks import ViFiDataCheckHook
from .schedulers import ViFiWarmupCosineLR, warmup_cosine_value

__all__ = ['ViFiWarmupCosineLR', 'warmup_cosine_value', 'ViFiDataCheckHook']
