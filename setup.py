"""Install with ``pip install -e .`` next to an existing torch (see README)."""
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPyWithConfigs(build_py):
    """Also ship ``configs/`` as ``vifi_mmaction/.mim/configs`` (where
    OpenMMLab packages keep theirs): configs written by the checkpoint
    converter inherit its ``_base_`` files, and a non-editable install has
    no source tree (``vifi_mmaction.convert.writer.config_dir``)."""

    def run(self):
        super().run()
        target = osp.join(self.build_lib, 'vifi_mmaction', '.mim', 'configs')
        shutil.copytree('configs', target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns('__pycache__'))


def read_version():
    ns = {}
    with open(osp.join('vifi_mmaction', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def read_requirements(path='requirements.txt'):
    reqs = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


setup(
    name='vifi_mmaction',
    version=read_version(),
    description='ViFi-CLIP (CVPR 2023) as MMAction2 components',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['vifi_mmaction', 'vifi_mmaction.*']),
    python_requires='>=3.9',
    # Loose bounds here so GPU users keep their own torch; requirements.txt
    # pins the tested stack.
    install_requires=[
        'torch>=2.0', 'torchvision', 'mmengine>=0.10,<0.11',
        'mmcv-lite>=2.0.0rc4,<2.2.0', 'mmaction2==1.2.0', 'mmpretrain>=1.2',
        'open_clip_torch>=2.24', 'decord>=0.6', 'numpy'
    ],
    extras_require=dict(tests=['pytest'],
                        export=['onnx>=1.23.2', 'onnxruntime>=1.32']),
    license='MIT',
    cmdclass=dict(build_py=BuildPyWithConfigs),
    zip_safe=False,
)
