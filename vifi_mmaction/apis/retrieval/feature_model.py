"""Which model made an extraction's embeddings, and that model again.

:func:`model_settings` is what an extraction records in its ``meta.json``
(``settings``: the config and the checkpoint's path, size and time);
:func:`feature_model` rebuilds the model from it, so that text queries are
embedded by the same model as the videos they are compared with.
"""
import os
import os.path as osp
from typing import Optional

from ...errors import InputError
from ..inferencer import ViFiZeroShotInferencer
from .extraction_reader import check_same_model, read_meta

__all__ = ['model_settings', 'feature_model']


def model_settings(config: str, checkpoint: Optional[str] = None) -> dict:
    """The model of an extraction as ``meta.json`` records it.

    Args:
        config: the model config.
        checkpoint: its checkpoint (None: the weights the config names).

    Returns:
        dict: ``config`` (absolute path) and ``checkpoint``: None, or
        ``[absolute path, size in bytes, whole seconds of its mtime]``, so
        that a changed checkpoint is noticed when an extraction resumes.
    """
    settings = dict(config=osp.abspath(config), checkpoint=None)
    if checkpoint:
        stat = os.stat(checkpoint)
        settings['checkpoint'] = [
            osp.abspath(checkpoint), stat.st_size,
            int(stat.st_mtime)
        ]
    return settings


def feature_model(feat_dir: str,
                  config: Optional[str] = None,
                  checkpoint: Optional[str] = None,
                  device: Optional[str] = None) -> ViFiZeroShotInferencer:
    """The model an extraction's embeddings were made with, without labels.

    Args:
        feat_dir: the extraction's output directory (its ``meta.json``).
        config: use this config instead of the recorded one; the recorded
            checkpoint is then not used either.
        checkpoint: use this checkpoint instead of the recorded one.
        device: ``cpu``, ``cuda`` or ``cuda:N`` (None: cuda if available).

    Raises:
        FileNotFoundError: if ``meta.json`` or the recorded config is
            missing (the message says to give ``--config``).
        InputError: if ``meta.json`` names no config and none is given.
        FeatureStoreError: ``meta.json`` is damaged, or the model given is
            not the one the embeddings were made with.
    """
    meta = read_meta(feat_dir)
    settings = meta.get('settings', {})
    recorded = config is None
    config = config or settings.get('config')
    if not config:
        raise InputError(f'{feat_dir}/meta.json names no config; give '
                         f'--config')
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} (from {feat_dir}/'
                                f'meta.json) not found; give --config')
    if checkpoint is None and recorded and settings.get('checkpoint'):
        checkpoint = settings['checkpoint'][0]
    check_same_model(meta, config, checkpoint, feat_dir)
    return ViFiZeroShotInferencer(
        config, checkpoint, device=device, require_labels=False)
