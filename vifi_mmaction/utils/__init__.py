"""Helpers shared by models, datasets, apis and tools (no registrations)."""
from .class_names import (ClassNamesError, class_names_csv, decode_utf8,
                          load_class_names, tokenizer_key, write_class_names)
from .outputs import check_output, check_output_dir, staged_file, staged_files

__all__ = [
    'load_class_names', 'ClassNamesError', 'decode_utf8', 'tokenizer_key',
    'class_names_csv', 'write_class_names', 'check_output', 'check_output_dir',
    'staged_files', 'staged_file'
]
