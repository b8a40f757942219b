from .text_contrastive_head import ViFiTextHead, format_prompts

__all__ = ['ViFiTextHead', 'format_prompts']
