"""ViFiDataCheckHook's ceiling counts each distinct unreadable video once.

Two ranks are two threads here, exchanging through a fake ``all_reduce`` /
``all_gather_object`` (the hook's only collectives); the one-process path
runs for real in ``tests/engine/test_data_check_hook.py``.
"""
import threading
from types import SimpleNamespace

import pytest

from vifi_mmaction.engine import TooManyVideoFaultsError, ViFiDataCheckHook
from vifi_mmaction.engine import data_check_hook as hooks_module


class FakeWorld:
    """Collectives of ``world`` threads, each one rank."""

    def __init__(self, world):
        self.world = world
        self.barrier = threading.Barrier(world, timeout=30)
        self.slots = [None] * world
        self.local = threading.local()
        self.gathers = 0

    def _exchange(self, obj):
        self.slots[self.local.rank] = obj
        self.barrier.wait()
        out = list(self.slots)
        self.barrier.wait()
        return out

    def all_reduce(self, tensor, op='sum'):
        assert op == 'sum'
        tensor.copy_(sum(self._exchange(tensor.clone())))

    def all_gather_object(self, obj):
        if self.local.rank == 0:
            self.gathers += 1
        return self._exchange(obj)

    def get_world_size(self):
        return self.world

    def is_main_process(self):
        return self.local.rank == 0


class FaultTable:
    """A training set of ``size`` videos as the hook sees one rank's copy:
    the distinct indices this rank found unreadable, over all its epochs."""

    def __init__(self, size):
        self.size = size
        self.bad = set()
        self.num_skipped = 0

    def __len__(self):
        return self.size

    @property
    def num_faulty(self):
        return len(self.bad)

    def faults(self):
        return [
            dict(index=i, filename=f'v{i}.mp4', kind='corrupt')
            for i in sorted(self.bad)
        ]


def _run_ranks(world, hook, tables, tmp_path, it):
    errors = [None] * world.world

    def rank(r):
        world.local.rank = r
        runner = SimpleNamespace(
            train_dataloader=SimpleNamespace(dataset=tables[r]),
            iter=it,
            work_dir=str(tmp_path))
        try:
            hook[r].after_train_iter(runner, it)
        except TooManyVideoFaultsError as e:
            errors[r] = e

    threads = [
        threading.Thread(target=rank, args=(r, )) for r in range(world.world)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture
def world(monkeypatch):
    w = FakeWorld(2)
    for name in ('all_reduce', 'all_gather_object', 'get_world_size',
                 'is_main_process'):
        monkeypatch.setattr(hooks_module, name, getattr(w, name))
    return w


def test_a_video_met_on_both_ranks_counts_once(world, tmp_path):
    hooks = [ViFiDataCheckHook(max_skip_ratio=0.03) for _ in range(2)]
    tables = [FaultTable(100), FaultTable(100)]  # ceiling: 3 videos
    # epoch 1: rank 0 meets videos 1, 2; epoch 2 reshuffles 2 onto rank 1,
    # which also meets 3: the ranks count 2 + 2 = 4, the union is 3
    tables[0].bad |= {1, 2}
    tables[1].bad |= {2, 3}
    assert _run_ranks(world, hooks, tables, tmp_path, 0) == [None, None]
    assert world.gathers == 1
    # nothing new: the union is not gathered again
    assert _run_ranks(world, hooks, tables, tmp_path, 1) == [None, None]
    assert world.gathers == 1
    # rank 0 meets 3 as well: sum 5, union still 3
    tables[0].bad.add(3)
    assert _run_ranks(world, hooks, tables, tmp_path, 2) == [None, None]
    assert world.gathers == 2
    # a fourth distinct video stops both ranks with the union's count
    tables[1].bad.add(4)
    errors = _run_ranks(world, hooks, tables, tmp_path, 3)
    assert all(errors)
    for e in errors:
        msg = str(e)
        assert 'stopping at iteration 4: 4 of 100 training videos' in msg
        assert 'corrupt 4 (v1.mp4, v2.mp4, v3.mp4, v4.mp4)' in msg


def test_below_the_ceiling_nothing_is_gathered(world, tmp_path):
    hooks = [ViFiDataCheckHook(max_skip_ratio=0.05) for _ in range(2)]
    tables = [FaultTable(100), FaultTable(100)]
    tables[0].bad |= {1, 2}
    tables[1].bad |= {3, 4, 5}
    assert _run_ranks(world, hooks, tables, tmp_path, 0) == [None, None]
    assert world.gathers == 0
