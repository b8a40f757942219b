from .attention import (AttentionRecorder, attention_rollout, block_attention,
                        class_token_attention, video_attention_maps,
                        vision_blocks)
from .cli import (CHECKPOINT_HELP, INPUT_ERRORS, add_label_arguments,
                  add_output_arguments, labels_from_args, logs_to_stderr,
                  run_cli, tool_parser)
from .contact_sheet import plot_contact_sheet
from .export import (DEFAULT_OPSET, ONNX_REQUIREMENTS, ExportDependencyError,
                     ViFiTextExport, ViFiVisionExport, clip_shape,
                     export_description, export_onnx, export_recognizer,
                     export_torchscript, require_module, run_onnx)
from .features import (FeatureStore, FeatureStoreError, extract_features,
                       load_features, read_video_items)
from .folders import (check_videos, folder_config_text, folder_outputs,
                      make_folder_dataset, scan_class_folders,
                      stratified_split)
from .inferencer import ViFiZeroShotInferencer
from .labels import parse_labels, split_label_list
from .manifold import stratified_subsample, tsne
from .moments import (extract_moments, load_moments, merge_moments,
                      window_embeddings)
from .plots import (attention_grid_figsize, confusion_matrix, load_dump,
                    plot_attention_grid, plot_confusion_matrix, plot_tsne)
from .predictions_io import format_prediction, save_predictions
from .runner_cli import (add_launcher_arguments, apply_launcher_args,
                         build_runner)
from .search import VideoIndex, text_queries, top_k
from .timeline import (label_windows, save_timeline, segments, smooth_scores,
                       video_timeline)
from .timeline_plot import plot_timeline
from .video_inputs import (VIDEO_EXTENSIONS, adapt_test_pipeline,
                           expand_inputs, list_videos, parse_views)
from .windows import (VideoWindows, WindowError, open_video, parse_span,
                      plan_windows)

__all__ = [
    'ViFiZeroShotInferencer', 'VIDEO_EXTENSIONS', 'list_videos',
    'expand_inputs', 'parse_views', 'adapt_test_pipeline', 'save_predictions',
    'format_prediction', 'logs_to_stderr', 'run_cli', 'INPUT_ERRORS',
    'parse_labels', 'split_label_list', 'read_video_items', 'FeatureStore',
    'FeatureStoreError', 'extract_features', 'load_features',
    'AttentionRecorder', 'block_attention', 'class_token_attention',
    'attention_rollout', 'vision_blocks', 'video_attention_maps', 'tsne',
    'stratified_subsample', 'load_dump', 'confusion_matrix',
    'plot_confusion_matrix', 'plot_tsne', 'plot_attention_grid',
    'attention_grid_figsize', 'folder_outputs', 'scan_class_folders',
    'check_videos', 'stratified_split', 'folder_config_text',
    'make_folder_dataset', 'ExportDependencyError', 'ViFiVisionExport',
    'ViFiTextExport', 'export_onnx', 'export_torchscript', 'require_module',
    'run_onnx', 'clip_shape', 'export_recognizer', 'export_description',
    'ONNX_REQUIREMENTS', 'DEFAULT_OPSET', 'parse_span', 'plan_windows',
    'open_video', 'VideoWindows', 'WindowError', 'video_timeline',
    'smooth_scores', 'label_windows', 'segments', 'save_timeline',
    'plot_timeline', 'window_embeddings', 'extract_moments', 'merge_moments',
    'load_moments', 'top_k', 'VideoIndex', 'text_queries',
    'plot_contact_sheet', 'tool_parser', 'add_label_arguments',
    'labels_from_args', 'add_output_arguments', 'CHECKPOINT_HELP',
    'add_launcher_arguments', 'apply_launcher_args', 'build_runner'
]
