"""vifi_mmaction.convert.writer: the written config inherits our base
files and loads from anywhere."""
import os.path as osp

import vifi_mmaction.convert as converter


def test_written_config_inherits_our_base_files_from_anywhere(
        ft_out, tmp_path, monkeypatch):
    """The runtime and model defaults are inherited from configs/_base_
    (absolute paths), not copied; the config loads and builds from another
    working directory and as a copy elsewhere."""
    from mmaction.registry import MODELS
    from mmengine.config import Config

    from vifi_mmaction.convert.writer import config_dir

    text = open(ft_out['config'], encoding='utf-8').read()
    for copied in ('default_hooks =', 'custom_imports =', 'data_preprocessor=',
                   "neck=dict(", 'log_processor ='):
        assert copied not in text, copied
    runtime = Config.fromfile(
        osp.join(config_dir(), '_base_', 'default_runtime.py'))
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (elsewhere / 'copy.py').write_text(text, encoding='utf-8')
    monkeypatch.chdir(tmp_path)
    for path in (ft_out['config'], str(elsewhere / 'copy.py')):
        cfg = Config.fromfile(path)
        assert cfg.default_hooks == runtime.default_hooks
        assert cfg.custom_hooks == runtime.custom_hooks
        assert cfg.model.data_preprocessor.mean == converter.MEAN
        assert cfg.model.neck.type == 'ViFiTemporalMeanPool'
        assert cfg.model.clip == dict(
            arch=ft_out['clip_arch'], pretrained=None)
        assert cfg.load_from == ft_out['weights']
        steps = {s['type']: s for s in cfg.test_pipeline}
        assert steps['ViFiSampleFrames']['num_frames'] == 16
        assert steps['CenterCrop']['crop_size'] == 32
        assert steps['Resize']['scale'] == (-1, 36)
        MODELS.build(cfg.model)
