"""Layer depths of CLIP parameters for layer-wise learning-rate decay.

mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` asks the model for
``get_layer_depth(param_name) -> (layer_id, num_layers)`` and scales each
parameter's learning rate by ``decay ** (num_layers - layer_id - 1)``. For a
CLIP tower with ``B`` residual blocks we use ``num_layers = B + 2``:

* the embeddings (patch / token embedding, class token, positional
  embedding, ``ln_pre``) are depth 0;
* ``resblocks.N`` is depth ``N + 1``;
* everything after the blocks (final norm, projection, logit scale, prompts,
  heads, necks) is depth ``B + 1``, which keeps the base learning rate.

Both towers use their own ``B``, so each decays from its own top.
"""
from typing import Sequence, Tuple

__all__ = ['clip_tower_layer_depth']


def clip_tower_layer_depth(param_name: str, prefix: str, stem: Sequence[str],
                           blocks: str, num_blocks: int) -> Tuple[int, int]:
    """Depth of one parameter of a CLIP tower.

    Args:
        param_name (str): the full parameter name (as the optimizer
            constructor sees it, e.g. ``'backbone.visual.conv1.weight'``).
        prefix (str): where the tower's module sits in the model, e.g.
            ``'backbone.'``. Names outside it are "after the tower": the last
            depth.
        stem (Sequence[str]): names (relative to ``prefix``) of the embedding
            parameters or modules, depth 0.
        blocks (str): the prefix of the residual blocks relative to
            ``prefix``, e.g. ``'visual.transformer.resblocks.'``.
        num_blocks (int): number of residual blocks ``B``.

    Returns:
        tuple[int, int]: ``(layer_id, num_layers)`` with ``num_layers = B+2``.
    """
    num_layers = num_blocks + 2
    if not param_name.startswith(prefix):
        return num_layers - 1, num_layers
    name = param_name[len(prefix):]
    if name.startswith(blocks):
        return int(name[len(blocks):].split('.', 1)[0]) + 1, num_layers
    if any(name == s or name.startswith(s + '.') for s in stem):
        return 0, num_layers
    return num_layers - 1, num_layers
