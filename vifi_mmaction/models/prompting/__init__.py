"""Stage 2 of ViFi-CLIP ("bridge and prompt"): deep vision and language
prompts learned on a frozen, video-fine-tuned CLIP."""
from .bridge import PromptBridgeError
from .language_prompts import ViFiLanguagePromptLearner, ViFiPromptedTextHead
from .vision_prompts import ViFiPromptedCLIPBackbone, ViFiVisualPrompts

__all__ = [
    'ViFiPromptedCLIPBackbone', 'ViFiPromptedTextHead', 'ViFiVisualPrompts',
    'ViFiLanguagePromptLearner', 'PromptBridgeError'
]
