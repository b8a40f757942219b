"""Plots: confusion matrices, embedding maps, attention grids, timelines and
contact sheets of search hits. Used by ``apis`` and ``tools``; imports
neither (layering in docs/architecture.md)."""
from .attention_grid import (attention_grid_figsize, pick_frames,
                             plot_attention_grid, top1_caption)
from .confusion import confusion_matrix, load_dump, plot_confusion_matrix
from .contact_sheet import plot_contact_sheet
from .embedding_map import plot_tsne, tsne_panel
from .figures import class_colours
from .timeline import plot_timeline
from .tsne import stratified_subsample, tsne

__all__ = [
    'plot_attention_grid', 'attention_grid_figsize', 'pick_frames',
    'top1_caption', 'confusion_matrix', 'load_dump', 'plot_confusion_matrix',
    'plot_contact_sheet', 'plot_tsne', 'class_colours', 'plot_timeline',
    'stratified_subsample', 'tsne', 'tsne_panel'
]
