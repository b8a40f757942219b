"""Helpers shared by models, datasets, apis and tools (no registrations)."""
from .class_names import (ClassNamesError, decode_utf8, load_class_names,
                          tokenizer_key)

__all__ = [
    'load_class_names', 'ClassNamesError', 'decode_utf8', 'tokenizer_key'
]
