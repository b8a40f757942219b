from .temporal_mean_pool import ViFiTemporalMeanPool

__all__ = ['ViFiTemporalMeanPool']
