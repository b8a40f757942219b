"""No tool imports another tool: every ``tools/**/*.py`` imports only the
package and libraries, never a sibling script (by name, relative import,
``sys.path`` or ``PYTHONPATH`` games, or loading a file as a module).

Reusable code lives in ``vifi_mmaction`` where it can be imported and
tested; a tool that needs another tool's logic imports it from there.
"""
import ast
import glob
import os.path as osp

import pytest
from vifi_testing import REPO_ROOT

TOOLS = osp.join(REPO_ROOT, 'tools')
SCRIPTS = sorted(glob.glob(osp.join(TOOLS, '**', '*.py'), recursive=True))
# what importing a tool would look like: a script's stem, a folder of
# tools/ (``data``) or ``tools`` itself
TOOL_NAMES = {
    osp.splitext(osp.basename(p))[0]
    for p in SCRIPTS
} | {
    osp.basename(d.rstrip('/'))
    for d in glob.glob(osp.join(TOOLS, '**', ''), recursive=True)
} | {'tools'}
# calls that load a file as a module
FILE_LOADERS = {
    'spec_from_file_location', 'run_path', 'SourceFileLoader', 'load_source',
    'import_module', '__import__'
}


def tool_import_problems(source: str, name: str = '<tool>') -> list:
    """``file:line: reason`` for every way ``source`` imports a tool."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        where = f'{name}:{getattr(node, "lineno", "?")}'
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] in TOOL_NAMES:
                    problems.append(f'{where}: imports {alias.name}')
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                problems.append(f'{where}: relative import')
            elif (node.module or '').split('.')[0] in TOOL_NAMES:
                problems.append(f'{where}: imports from {node.module}')
        elif isinstance(node, ast.Attribute) and node.attr == 'path' and \
                isinstance(node.value, ast.Name) and node.value.id == 'sys':
            problems.append(f'{where}: uses sys.path')
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else \
                getattr(func, 'id', None)
            if called in FILE_LOADERS:
                problems.append(f'{where}: loads a module with {called}()')
    return problems


def test_tools_are_found():
    rel = {osp.relpath(p, TOOLS) for p in SCRIPTS}
    assert {'train.py', 'benchmark_sweep.py', 'data/from_folders.py'} <= rel
    assert {'benchmark', 'train', 'data', 'tools'} <= TOOL_NAMES


@pytest.mark.parametrize(
    'script', SCRIPTS, ids=[osp.relpath(p, TOOLS) for p in SCRIPTS])
def test_no_tool_imports_another_tool(script):
    with open(script, encoding='utf-8') as f:
        source = f.read()
    assert tool_import_problems(source, osp.relpath(script, REPO_ROOT)) == []


@pytest.mark.parametrize('source, reason', [
    ('import sys, os.path as osp\n'
     'sys.path.insert(0, osp.dirname(__file__))\n'
     'from benchmark import build_model\n', 'uses sys.path'),
    ('from benchmark import build_model\n', 'imports from benchmark'),
    ('import train as t\n', 'imports train'),
    ('from tools.data import from_folders\n', 'imports from tools.data'),
    ('from . import infer\n', 'relative import'),
    ('import runpy\nrunpy.run_path("tools/infer.py")\n', 'run_path()'),
    ('import importlib\nimportlib.import_module("report")\n',
     'import_module()'),
])
def test_the_check_catches_each_way(source, reason):
    problems = tool_import_problems(source, 'x.py')
    assert any(reason in p for p in problems), problems


def test_the_check_allows_the_package():
    assert tool_import_problems(
        'import argparse\nimport vifi_mmaction\n'
        'from vifi_mmaction.cli import run_cli\n'
        'from vifi_mmaction.benchmarks.model_cost import measure_variant\n'
    ) == []
