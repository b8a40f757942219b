"""What the benchmark tools measure, importable and testable.

* :mod:`.model_cost`: a config's recognizer with random weights, its
  FLOPs (by tower), seconds per step and peak memory, against the naive
  reference (every prompt re-encoded at full context on every forward);
  used by ``tools/benchmark.py``;
* :mod:`.cost_sweep`: the eval-forward cost against the number of classes
  and frames (``tools/benchmark_sweep.py``; the figure is
  :mod:`vifi_mmaction.visualization.cost_curves`);
* :mod:`.data_throughput`: decode + augment time of one data-loading
  worker, transform by transform (``tools/benchmark_data.py``).

Layering: like ``apis``, this package may import ``models``, ``datasets``
and ``engine``; nothing in the package imports it (``import vifi_mmaction``
does not), only the tools do.
"""
