"""Data shared by datasets, models, apis and visualization: the deferred
augmentation's sample keys and a timeline's segments."""
from .augment_keys import AUG_KEY, IDENTITY_FACTORS
from .timeline import label_windows, owned_spans, segments, smooth_scores

__all__ = [
    'AUG_KEY', 'IDENTITY_FACTORS', 'smooth_scores', 'label_windows',
    'owned_spans', 'segments'
]
