"""What a user calls from Python: the zero-shot inferencer and its inputs and
outputs, long videos on a timeline, search over a collection, export, and
attention maps. Plots are in :mod:`vifi_mmaction.visualization`, video
reading in :mod:`vifi_mmaction.video`."""
from .attention import (AttentionRecorder, attention_rollout, block_attention,
                        class_token_attention, video_attention_maps,
                        vision_blocks)
from .export import (DEFAULT_OPSET, ONNX_REQUIREMENTS, ExportDependencyError,
                     ViFiTextExport, ViFiVisionExport, check_opset, clip_shape,
                     export_description, export_onnx, export_recognizer,
                     export_torchscript, require_module, run_onnx)
from .inferencer import ViFiZeroShotInferencer
from .inputs import (adapt_test_pipeline, expand_inputs, parse_labels,
                     parse_views, split_label_list)
from .long_video import (VideoWindows, WindowError, parse_span, plan_windows,
                         save_timeline, video_timeline)
from .predictions import format_prediction, save_predictions
from .retrieval import (FeatureStore, FeatureStoreError, VideoIndex,
                        extract_features, extract_moments, load_features,
                        load_moments, merge_moments, read_video_items,
                        text_queries, top_k, window_embeddings)

__all__ = [
    'ViFiZeroShotInferencer', 'expand_inputs', 'parse_views',
    'adapt_test_pipeline', 'parse_labels', 'split_label_list',
    'save_predictions', 'format_prediction', 'read_video_items',
    'FeatureStore', 'FeatureStoreError', 'extract_features', 'load_features',
    'window_embeddings', 'extract_moments', 'merge_moments', 'load_moments',
    'top_k', 'VideoIndex', 'text_queries', 'parse_span', 'plan_windows',
    'VideoWindows', 'WindowError', 'video_timeline', 'save_timeline',
    'AttentionRecorder', 'block_attention', 'class_token_attention',
    'attention_rollout', 'vision_blocks', 'video_attention_maps',
    'ExportDependencyError', 'ViFiVisionExport', 'ViFiTextExport',
    'export_onnx', 'export_torchscript', 'require_module', 'run_onnx',
    'clip_shape', 'export_recognizer', 'export_description',
    'ONNX_REQUIREMENTS', 'DEFAULT_OPSET', 'check_opset'
]
