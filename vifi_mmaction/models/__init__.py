from .backbones import ViFiCLIPBackbone, ViFiFrameWiseBackbone
from .clip_loader import (OPENAI_ARCHS, CLIPWeightsError, build_clip,
                          load_clip_state_dict, resolve_arch)
from .data_preprocessors import ViFiBatchAugPreprocessor
from .heads import (TEMPLATE_SETS, ViFiTextHead, format_prompts,
                    resolve_templates)
from .layer_depth import clip_tower_layer_depth
from .necks import ViFiTemporalMeanPool
from .prompting import (PromptBridgeError, ViFiLanguagePromptLearner,
                        ViFiPromptedCLIPBackbone, ViFiPromptedTextHead,
                        ViFiVisualPrompts)
from .recognizers import TRAIN_TOWERS, ViFiRecognizer
from .text_encoder import CLIPTextEncoder, PromptTooLongError, tokenize_prompts

__all__ = [
    'ViFiCLIPBackbone', 'ViFiTemporalMeanPool', 'ViFiTextHead',
    'ViFiRecognizer', 'CLIPTextEncoder', 'build_clip', 'resolve_arch',
    'load_clip_state_dict', 'CLIPWeightsError', 'PromptTooLongError',
    'tokenize_prompts', 'format_prompts', 'OPENAI_ARCHS', 'TRAIN_TOWERS',
    'ViFiPromptedCLIPBackbone', 'ViFiPromptedTextHead', 'ViFiVisualPrompts',
    'ViFiLanguagePromptLearner', 'PromptBridgeError', 'ViFiFrameWiseBackbone',
    'TEMPLATE_SETS', 'resolve_templates', 'clip_tower_layer_depth',
    'ViFiBatchAugPreprocessor'
]
