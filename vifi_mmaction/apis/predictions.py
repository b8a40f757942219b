"""What the inferencer writes: readable lines and JSON/CSV result files."""
import csv
import json
import os.path as osp
from typing import Sequence

from ..errors import InputError
from ..utils.outputs import staged_files

__all__ = ['format_prediction', 'save_predictions']


def format_prediction(result: dict,
                      class_names: Sequence[str],
                      topk: int = 5) -> str:
    """Human-readable lines: the video, then ``prob  label`` per top label."""
    if result['error'] is not None:
        return f'{result["video"]}: FAILED {result["error"]}'
    scores = result['pred_scores']
    lines = [result['video']]
    for i in result['pred_labels'][:topk]:
        lines.append(f'  {scores[i]:.4f}  {class_names[i]}')
    return '\n'.join(lines)


def save_predictions(results: Sequence[dict], path: str,
                     class_names: Sequence[str]) -> None:
    """Write every label's probability per video to ``.json`` or ``.csv``.

    JSON: ``{"labels": [...], "results": [{"video", "error",
    "probabilities": {label: p}, "top": [[label, p], ...]}]}``. CSV: one row
    per video, columns ``video, error, top1, top1_probability`` and one
    column per label (failed videos have an error and empty scores).
    """
    ext = osp.splitext(path)[1].lower()
    if ext not in ('.json', '.csv'):
        raise InputError(f'output must end with .json or .csv, got {path}')
    with staged_files([path]) as tmp:  # a failed write leaves no half file
        _write(results, tmp[path], ext, list(class_names))


def _write(results: Sequence[dict], path: str, ext: str,
           names: Sequence[str]) -> None:
    if ext == '.json':
        rows = []
        for r in results:
            scores = r['pred_scores']
            rows.append(
                dict(
                    video=r['video'],
                    error=r['error'],
                    probabilities=(dict(zip(names, scores))
                                   if scores is not None else None),
                    top=[[names[i], scores[i]] for i in r['pred_labels']]))
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(dict(labels=names, results=rows), f, indent=1)
        return
    with open(path, 'w', encoding='utf-8', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['video', 'error', 'top1', 'top1_probability'] + names)
        for r in results:
            scores = r['pred_scores']
            if scores is None:
                writer.writerow([r['video'], r['error'], '', ''] +
                                [''] * len(names))
                continue
            best = r['pred_labels'][0]
            writer.writerow(
                [r['video'], '', names[best], f'{scores[best]:.6f}'] +
                [f'{s:.6f}' for s in scores])
