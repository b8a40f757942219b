"""The cost-sweep figure: its size and that it draws every line."""
import matplotlib.image as mpimg

from vifi_mmaction.visualization.cost_curves import plot_cost_curves


def _report():
    points = [
        dict(
            num_frames=t,
            num_classes=k,
            gflops=dict(ours=t, ours_cold=t + k / 10, naive=t + k),
            seconds=dict(
                ours=t / 10, ours_cold=t / 10 + k / 100, naive=(t + k) / 10))
        for t in (8, 16) for k in (50, 100, 200)
    ]
    return dict(
        config='configs/x.py',
        device='cpu',
        machine=dict(threads=2),
        points=points)


def test_two_panels_every_variant_and_frame_count(tmp_path):
    out = tmp_path / 'sub' / 'cost.png'
    fig = plot_cost_curves(_report(), str(out))
    flops, seconds = fig.axes
    assert len(flops.lines) == len(seconds.lines) == 2 * 3  # T x variant
    assert flops.get_yscale() == 'log'
    ys = sorted(tuple(line.get_ydata()) for line in flops.lines)
    assert (58, 108, 208) in ys  # naive at T=8: visual + text
    assert 'threads' in seconds.get_title()
    image = mpimg.imread(out)
    assert image.shape[:2] == (462, 1210)  # figsize (11, 4.2) at 110 dpi
