from .templates import (TEMPLATE_SETS, TemplateError, check_template,
                        resolve_templates)
from .text_contrastive_head import ViFiTextHead, format_prompts

__all__ = [
    'ViFiTextHead', 'format_prompts', 'TEMPLATE_SETS', 'resolve_templates',
    'TemplateError', 'check_template'
]
