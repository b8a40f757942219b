"""Conversion of the official ViFi-CLIP checkpoints and OpenAI CLIP weights.

The data path of a conversion: :mod:`.source` reads the file weights-only,
:mod:`.layout` tells what it holds (fine-tuned, prompting or plain CLIP; the
CLIP architecture; the prompt spec), :mod:`.prompts` rebuilds and verifies
the class prompts against CLIP's token table, :mod:`.writer` builds the
converted model and writes its test config, and :func:`.convert.convert`
drives them. ``tools/convert_official_checkpoint.py`` is the command line;
docs/checkpoints.md the user guide.
"""
from .convert import DEFAULT_NUM_FRAMES, convert
from .layout import (detect_mode, infer_clip_arch, infer_prompt_spec,
                     split_official_state)
from .source import ConversionError, load_source
from .writer import MEAN, STD, write_config

__all__ = [
    'ConversionError', 'load_source', 'detect_mode', 'split_official_state',
    'infer_clip_arch', 'infer_prompt_spec', 'write_config', 'convert',
    'DEFAULT_NUM_FRAMES', 'MEAN', 'STD'
]
