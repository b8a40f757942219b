"""Video search: embeddings of a collection on disk (:mod:`.store` writes
them, :mod:`.extraction_reader` reads them back checked), their resumable
extraction (:mod:`.extraction`), the model that made them
(:mod:`.feature_model`), window embeddings ("moments",
:mod:`.moment_embeddings`) and search by text or example (:mod:`.search`)."""
from .extraction import extract_features, read_video_items
from .extraction_reader import (check_same_model, feature_files, load_features,
                                read_extraction)
from .feature_model import feature_model, model_settings
from .moment_embeddings import (extract_moments, load_moments, merge_moments,
                                window_embeddings)
from .search import (VideoIndex, save_hits, sheet_path, text_queries, top_k,
                     video_query)
from .store import FeatureStore, FeatureStoreError, check_feature_dir

__all__ = [
    'read_video_items', 'extract_features', 'FeatureStore',
    'FeatureStoreError', 'check_feature_dir', 'feature_files', 'load_features',
    'window_embeddings', 'extract_moments', 'merge_moments', 'load_moments',
    'VideoIndex', 'text_queries', 'top_k', 'video_query', 'save_hits',
    'sheet_path', 'model_settings', 'feature_model', 'read_extraction',
    'check_same_model'
]
