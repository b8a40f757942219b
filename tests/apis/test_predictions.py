"""vifi_mmaction.apis.predictions: readable lines and JSON/CSV files with
every label's probability; a failed video keeps its error and empty
scores; other extensions are refused before anything is written."""
import csv
import json

import pytest

from vifi_mmaction.apis import format_prediction, save_predictions
from vifi_mmaction.errors import InputError

NAMES = ['run', 'swim, fast', 'eat']
RESULTS = [
    dict(
        video='a.mp4',
        error=None,
        pred_scores=[0.2, 0.7, 0.1],
        pred_labels=[1, 0, 2]),
    dict(
        video='b.mp4',
        error='VideoReadError: bad',
        pred_scores=None,
        pred_labels=[]),
]


def test_readable_lines():
    assert format_prediction(
        RESULTS[0], NAMES,
        topk=2) == ('a.mp4\n  0.7000  swim, fast\n  0.2000  run')
    assert format_prediction(RESULTS[1],
                             NAMES) == ('b.mp4: FAILED VideoReadError: bad')


def test_json(tmp_path):
    path = tmp_path / 'p.json'
    save_predictions(RESULTS, str(path), NAMES)
    data = json.loads(path.read_text())
    assert data['labels'] == NAMES
    first, failed = data['results']
    assert first['probabilities'] == dict(zip(NAMES, [0.2, 0.7, 0.1]))
    assert first['top'][0] == ['swim, fast', 0.7]
    assert failed == dict(
        video='b.mp4', error='VideoReadError: bad', probabilities=None, top=[])


def test_csv(tmp_path):
    path = tmp_path / 'p.CSV'
    save_predictions(RESULTS, str(path), NAMES)
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['video', 'error', 'top1', 'top1_probability'] + NAMES
    assert rows[1] == [
        'a.mp4', '', 'swim, fast', '0.700000', '0.200000', '0.700000',
        '0.100000'
    ]
    assert rows[2] == ['b.mp4', 'VideoReadError: bad', '', '', '', '', '']


def test_other_extensions_are_refused(tmp_path):
    with pytest.raises(InputError, match=r'must end with \.json or \.csv'):
        save_predictions(RESULTS, str(tmp_path / 'p.txt'), NAMES)
    assert list(tmp_path.iterdir()) == []
