"""Install with ``pip install -e .`` (or ``mim install -e .``) next to an
existing torch and mmcv (see README, "Install")."""
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
        shutil.copytree(
            'configs',
            target,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns('__pycache__'))


def read_module(path):
    """Execute a stdlib-only module of the package without importing it."""
    ns = {}
    with open(osp.join('vifi_mmaction', path)) as f:
        exec(compile(f.read(), path, 'exec'), ns)
    return ns


setup(
    name='vifi_mmaction',
    version=read_module('version.py')['__version__'],
    description='ViFi-CLIP (CVPR 2023) as MMAction2 components',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['vifi_mmaction', 'vifi_mmaction.*']),
    python_requires='>=3.9',
    # Lower bounds the code needs, declared in vifi_mmaction/dependencies.py
    # and checked again at import. No mmcv distribution: the user's own
    # mmcv (full, from mim) or mmcv-lite (requirements.txt) is kept.
    install_requires=read_module('dependencies.py')['INSTALL_REQUIRES'],
    extras_require=dict(
        tests=['pytest'],
        export=['onnx>=1.23.2', 'onnxruntime>=1.32'],
        webui=read_module('dependencies.py')['WEBUI_REQUIRES'],
        search=read_module('dependencies.py')['SEARCH_REQUIRES']),
    license='MIT',
    cmdclass=dict(build_py=BuildPyWithConfigs),
    zip_safe=False,
)
