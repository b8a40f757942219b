"""Helpers shared by models, datasets, apis and tools (no registrations)."""
from .class_names import (ClassNamesError, decode_utf8, load_class_names,
                          tokenizer_key)
from .outputs import check_output, check_output_dir, staged_files

__all__ = [
    'load_class_names', 'ClassNamesError', 'decode_utf8', 'tokenizer_key',
    'check_output', 'check_output_dir', 'staged_files'
]
