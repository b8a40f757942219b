"""K-shot draws: reproducible, K per class, lines unchanged, short classes
named."""
import pytest

from vifi_mmaction.datasets.few_shot import (FewShotError, few_shot,
                                             read_by_class)


def test_read_by_class_keeps_lines_in_file_order(tmp_path):
    ann = tmp_path / 'a.txt'
    ann.write_text('v/x 1.mp4 1\nw.mp4 0\ny.mp4 1\n')
    assert dict(read_by_class(str(ann))) == {
        1: ['v/x 1.mp4 1', 'y.mp4 1'],
        0: ['w.mp4 0']
    }


def test_draw_is_reproducible_and_grouped_by_class():
    by_class = {c: [f'{c}_{i}.mp4 {c}' for i in range(6)] for c in (2, 0)}
    one = few_shot(by_class, 3, seed=1)
    assert one == few_shot(by_class, 3, seed=1)
    assert one != few_shot(by_class, 3, seed=2)
    assert [line.split()[1] for line in one] == ['0'] * 3 + ['2'] * 3
    for c in (0, 2):  # file order within a class, no repeats
        picked = [line for line in one if line.endswith(f' {c}')]
        assert picked == sorted(set(picked), key=by_class[c].index)


def test_short_classes_are_named():
    by_class = {0: ['a 0'], 1: ['b 1', 'c 1']}
    with pytest.raises(
            FewShotError,
            match=r"1 class\(es\) have fewer than 2 videos: "
            r"class 0 \('run'\): 1"):
        few_shot(by_class, 2, 0, names=['run', 'jump'])
    with pytest.raises(FewShotError, match=r"class 2 \('swim'\): 0"):
        few_shot(by_class, 1, 0, names=['run', 'jump', 'swim'])
    with pytest.raises(FewShotError, match='labels \\[1\\] are out of range'):
        few_shot(by_class, 1, 0, names=['run'])
    with pytest.raises(FewShotError, match='--shots must be positive'):
        few_shot(by_class, 0, 0)
