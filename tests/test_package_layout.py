"""The package's shape, checked from its source: every module has its
mirrored test module, the import layering of docs/architecture.md holds, no
module imports another's private names, ``apis/`` stays small, no tool
imports another tool, and ``import vifi_mmaction`` leaves the command-line
plumbing alone.

Each checker is a function of a folder, returning one line per violation
(path, line, what is wrong); the first tests run them on the repository,
the last ones on tiny planted trees, so that each is seen to fail.
"""
import ast
import os
import os.path as osp
import re
from typing import Dict, Iterator, List, Optional, Set, Tuple

import pytest
from vifi_testing import REPO_ROOT, TESTS_DIR, run_python

PACKAGE = 'vifi_mmaction'
PACKAGE_DIR = osp.join(REPO_ROOT, PACKAGE)
TOOLS_DIR = osp.join(REPO_ROOT, 'tools')
ARCHITECTURE_DOC = osp.join(REPO_ROOT, 'docs', 'architecture.md')

# modules that need no test module of their own
MIRROR_EXEMPT = ('__init__.py', 'version.py')

# The import layering (docs/architecture.md shows the same table; a test
# below compares them). Keys are the top-level packages and modules of
# vifi_mmaction ('' is vifi_mmaction/__init__.py); values what each may
# import besides itself.
LOW_LEVEL = ('errors', 'version', 'dependencies', 'checkpoint_loader', 'utils',
             'structures', 'video', 'compat')
ALL = LOW_LEVEL + ('datasets', 'models', 'engine', 'evaluation', 'convert',
                   'wise_ft', 'visualization', 'benchmarks', 'apis', 'cli',
                   'webui')
LAYERS: Dict[str, Tuple[str, ...]] = {
    'errors': (),
    'version': (),
    'dependencies': ('errors', ),
    'checkpoint_loader': ('errors', ),
    'utils': ('errors', 'dependencies'),
    'structures': ('errors', 'utils'),
    'video': ('errors', 'dependencies', 'utils', 'structures'),
    'compat': ('errors', 'dependencies', 'checkpoint_loader', 'utils'),
    'datasets':
    LOW_LEVEL,
    'models':
    LOW_LEVEL,
    'evaluation':
    LOW_LEVEL + ('datasets', 'models'),
    'engine':
    LOW_LEVEL + ('datasets', 'models', 'evaluation'),
    'convert':
    LOW_LEVEL + ('datasets', 'models'),
    'wise_ft':
    LOW_LEVEL,
    'visualization':
    LOW_LEVEL,
    'benchmarks':
    LOW_LEVEL +
    ('datasets', 'models', 'engine', 'evaluation', 'visualization'),
    'apis':
    tuple(p for p in ALL if p not in ('apis', 'benchmarks', 'cli', 'webui')),
    'cli':
    tuple(p for p in ALL if p not in ('cli', 'webui')),
    'webui':
    tuple(p for p in ALL if p != 'webui'),
    '':
    LOW_LEVEL + ('datasets', 'models', 'engine', 'evaluation'),
}

APIS_MAX_ENTRIES = 8
APIS_MAX_LINES = 400


# ------------------------------------------------------------ the checkers
def _python_files(root: str) -> Iterator[str]:
    """``.py`` files under ``root``, sorted, caches skipped."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs
                         if d != '__pycache__' and not d.startswith('.'))
        for name in sorted(files):
            if name.endswith('.py'):
                yield osp.join(folder, name)


def _rel(path: str, start: str) -> str:
    return osp.relpath(path, start).replace(os.sep, '/')


def missing_test_modules(package_dir: str, tests_dir: str) -> List[str]:
    """Modules of ``package_dir`` without ``tests_dir/<same path>/
    test_<module>.py``, as ``'pkg/a/b.py: no tests/a/test_b.py'``."""
    top = osp.dirname(package_dir)
    missing = []
    for path in _python_files(package_dir):
        if osp.basename(path) in MIRROR_EXEMPT:
            continue
        folder, name = osp.split(osp.relpath(path, package_dir))
        expected = osp.join(tests_dir, folder, 'test_' + name)
        if not osp.isfile(expected):
            missing.append(f'{_rel(path, top)}: no {_rel(expected, top)}')
    return missing


def folders_without_init(tests_dir: str) -> List[str]:
    """Folders of the test tree holding Python files but no
    ``__init__.py`` (or below such a folder): test modules of equal names
    (``tests/structures/test_timeline.py`` and
    ``tests/visualization/test_timeline.py``) import only as packages."""
    top = osp.dirname(tests_dir)
    found = set()
    for path in _python_files(tests_dir):
        folder = osp.dirname(path)
        while True:
            if not osp.isfile(osp.join(folder, '__init__.py')):
                found.add(f'{_rel(folder, top)}: no __init__.py')
            if folder == tests_dir:
                break
            folder = osp.dirname(folder)
    return sorted(found)


def _module_name(path: str, package_dir: str) -> Tuple[str, bool]:
    """(dotted name, is a package ``__init__``) of a file of the package."""
    rel = osp.relpath(path, osp.dirname(package_dir))[:-3]
    parts = rel.split(os.sep)
    if parts[-1] == '__init__':
        return '.'.join(parts[:-1]), True
    return '.'.join(parts), False


def _imports(path: str, package_dir: str) -> Iterator[Tuple[int, str, str]]:
    """(line, module, name) of every import of the package's own modules in
    ``path``, relative ones resolved; ``name`` is '' for ``import x.y``."""
    package = osp.basename(package_dir)
    module, is_init = _module_name(path, package_dir)
    here = module.split('.') if is_init else module.split('.')[:-1]
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == package:
                    yield node.lineno, alias.name, ''
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                target = '.'.join(base +
                                  ([node.module] if node.module else []))
            else:
                target = node.module or ''
            if target.split('.')[0] != package:
                continue
            for alias in node.names:
                yield node.lineno, target, alias.name


def _layer(dotted: str) -> str:
    """The top-level package or module of a dotted name ('' for the
    package itself)."""
    parts = dotted.split('.')
    return parts[1] if len(parts) > 1 else ''


def layering_violations(package_dir: str,
                        layers: Dict[str, Tuple[str, ...]]) -> List[str]:
    """Imports that the layering table does not allow, as
    ``'pkg/models/x.py:3: models imports datasets (may import: ...)'``."""
    top = osp.dirname(package_dir)
    found = []
    for path in _python_files(package_dir):
        module, _ = _module_name(path, package_dir)
        source = _layer(module)
        if source not in layers:
            found.append(f'{_rel(path, top)}: {source!r} is not in the '
                         'layering table (docs/architecture.md)')
            continue
        for line, target, name in _imports(path, package_dir):
            layer = _layer(target)
            if not layer and name:  # from vifi_mmaction import x
                layer = name
            if layer in ('', source) or layer in layers[source]:
                continue
            allowed = ', '.join(layers[source]) or 'nothing'
            found.append(f'{_rel(path, top)}:{line}: {source or "__init__"} '
                         f'imports {layer} (may import: {allowed})')
    return found


def _private(name: str) -> bool:
    return name.startswith('_') and not name.startswith('__')


def private_imports(package_dir: str) -> List[str]:
    """Imports of another module's underscore names (``from .x import _y``,
    and ``x._y`` where ``x`` is an imported module of the package), as
    ``'pkg/a.py:4: _y from pkg.x'``."""
    top = osp.dirname(package_dir)
    package = osp.basename(package_dir)
    found = []
    for path in _python_files(package_dir):
        module, _ = _module_name(path, package_dir)
        modules: Dict[str, str] = {}  # local name -> imported module
        for line, target, name in _imports(path, package_dir):
            if not name:
                continue
            if _private(name):
                found.append(f'{_rel(path, top)}:{line}: {name} from '
                             f'{target}')
            elif _is_module(package_dir, f'{target}.{name}'):
                modules[name] = f'{target}.{name}'
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name.startswith(package + '.'):
                        modules[alias.asname] = alias.name
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            owner = ast.unparse(node.value)
            owner = modules.get(owner, owner)
            if (owner != module and owner.startswith(package + '.')
                    and _is_module(package_dir, owner)):
                found.append(f'{_rel(path, top)}:{node.lineno}: {node.attr} '
                             f'from {owner}')
    return found


def _is_module(package_dir: str, dotted: str) -> bool:
    path = osp.join(osp.dirname(package_dir), *dotted.split('.'))
    return osp.isfile(path + '.py') or osp.isfile(
        osp.join(path, '__init__.py'))


def oversized(folder: str, max_entries: int, max_lines: int) -> List[str]:
    """Too many entries (modules or subpackages) in ``folder``, or modules
    under it longer than ``max_lines`` lines."""
    top = osp.dirname(folder)
    found = []
    entries = sorted(
        e for e in os.listdir(folder)
        if e != '__pycache__' and not e.startswith('.'))
    if len(entries) > max_entries:
        found.append(f'{_rel(folder, top)}: {len(entries)} entries, at most '
                     f'{max_entries}: {", ".join(entries)}')
    for path in _python_files(folder):
        with open(path, encoding='utf-8') as f:
            lines = len(f.read().splitlines())
        if lines > max_lines:
            found.append(f'{_rel(path, top)}: {lines} lines, at most '
                         f'{max_lines}')
    return found


# functions that load a module by name or path
_LOADERS = ('run_path', 'run_module', 'import_module',
            'spec_from_file_location', 'SourceFileLoader', '__import__')


def _names_a_tool(node: ast.AST, tool_names: Set[str]) -> bool:
    """Whether an argument names a tool or the tools folder: a string with
    a ``tools`` path part, a tool's module or file name, or a path made
    from ``__file__`` (the tool's own folder)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            text = sub.value
            if ('tools' in re.split(r'[/\\.]', text) or text in tool_names
                    or osp.basename(text)[:-3] in tool_names
                    and text.endswith('.py')):
                return True
        if isinstance(sub, ast.Name) and sub.id == '__file__':
            return True
    return False


def tool_imports(tools_dir: str) -> List[str]:
    """Tools that import another tool: ``import <tool>`` or
    ``from tools...``, changes of ``sys.path`` (how a tool's folder becomes
    importable), and runpy/importlib loads of a tool path."""
    top = osp.dirname(tools_dir)
    tool_names = {
        osp.splitext(osp.basename(p))[0]
        for p in _python_files(tools_dir)
    } - {'__init__'}
    found = []
    for path in _python_files(tools_dir):
        where = _rel(path, top)
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            names: List[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ['.' if node.level else (node.module or '')]
            for name in names:
                first = name.split('.')[0]
                if name == '.' or first == 'tools' or first in tool_names:
                    found.append(f'{where}:{node.lineno}: imports {name}')
            if isinstance(node, ast.Call):
                func = ast.unparse(node.func)
                if func in ('sys.path.insert', 'sys.path.append',
                            'sys.path.extend'):
                    found.append(f'{where}:{node.lineno}: changes sys.path')
                elif func.split('.')[-1] in _LOADERS and any(
                        _names_a_tool(a, tool_names)
                        for a in node.args + [k.value for k in node.keywords]):
                    found.append(f'{where}:{node.lineno}: loads a tool '
                                 f'with {func}')
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(
                    node, ast.Assign) else [node.target]
                for target in targets:
                    if 'sys.path' in ast.unparse(target):
                        found.append(f'{where}:{node.lineno}: changes '
                                     'sys.path')
    return found


def import_footprint(package: str, root: str) -> dict:
    """What ``import <package>`` (found under ``root``) does in a fresh
    interpreter: ``cli``, the modules of ``<package>.cli`` it imported;
    ``public``, the package's public names; ``version``, its
    ``__version__``."""
    return run_python(
        'import json, sys\n'
        f'sys.path.insert(0, {root!r})\n'
        f'import {package}\n'
        'print(json.dumps(dict(\n'
        '    cli=sorted(m for m in sys.modules\n'
        f"               if m.split('.')[:2] == ['{package}', 'cli']),\n"
        f"    version=getattr({package}, '__version__', None),\n"
        f'    public=sorted(n for n in dir({package})\n'
        "                  if not n.startswith('_')))))\n")


def doc_layering_table(path: str) -> Optional[Dict[str, Tuple[str, ...]]]:
    """The ``| package | may import |`` table of docs/architecture.md: per
    row, the names in backticks of the first cell (``vifi_mmaction`` read as
    its ``__init__``, key '') map to those of the second."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    table = {}
    inside = False
    for line in lines:
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if not line.lstrip().startswith('|') or len(cells) != 2:
            inside = False
            continue
        if cells == ['package', 'may import']:
            inside = True
            continue
        if not inside or set(line) <= set('|-: '):
            continue
        allowed = tuple(re.findall(r'`([a-z_]+)`', cells[1]))
        for name in re.findall(r'`([a-z_]+)`', cells[0]):
            if not name.startswith('__'):
                table['' if name == PACKAGE else name] = allowed
    return table or None


# ------------------------------------------------------- the repository
def test_every_module_has_its_mirrored_test_module():
    assert missing_test_modules(PACKAGE_DIR, TESTS_DIR) == []


def test_every_test_folder_is_a_package():
    assert folders_without_init(TESTS_DIR) == []


def test_import_layering():
    assert layering_violations(PACKAGE_DIR, LAYERS) == []


def test_no_module_imports_another_modules_private_names():
    assert private_imports(PACKAGE_DIR) == []


def test_apis_is_small():
    assert oversized(
        osp.join(PACKAGE_DIR, 'apis'), APIS_MAX_ENTRIES, APIS_MAX_LINES) == []


def test_no_tool_imports_another_tool():
    assert tool_imports(TOOLS_DIR) == []


def test_architecture_doc_shows_the_enforced_layering():
    doc = doc_layering_table(ARCHITECTURE_DOC)
    assert doc is not None, f'{ARCHITECTURE_DOC}: no layering table'
    assert {
        k: set(v)
        for k, v in doc.items()
    } == {
        k: set(v)
        for k, v in LAYERS.items()
    }


@pytest.mark.slow
def test_import_vifi_mmaction_leaves_the_cli_alone():
    found = import_footprint(PACKAGE, REPO_ROOT)
    assert found['cli'] == []
    assert found['version']
    assert 'tool_parser' not in found['public']
    assert 'run_cli' not in found['public']


# ------------------------------------------------ each checker can fail
def _write(root, files: Dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_mirror_check_names_the_module_without_tests(tmp_path):
    _write(
        tmp_path, {
            'pkg/__init__.py': '',
            'pkg/version.py': '',
            'pkg/a/__init__.py': '',
            'pkg/a/good.py': '',
            'pkg/a/lonely.py': '',
            'tests/a/test_good.py': '',
            'tests/a/__init__.py': '',
            'tests/__init__.py': '',
        })
    assert missing_test_modules(
        str(tmp_path / 'pkg'),
        str(tmp_path /
            'tests')) == ['pkg/a/lonely.py: no tests/a/test_lonely.py']
    (tmp_path / 'tests' / 'a' / '__init__.py').unlink()
    assert folders_without_init(str(tmp_path /
                                    'tests')) == ['tests/a: no __init__.py']


def test_layering_check_names_file_line_and_rule(tmp_path):
    _write(
        tmp_path, {
            'pkg/__init__.py': 'from . import models\n',
            'pkg/errors.py': '',
            'pkg/models/__init__.py': 'from ..errors import E\n',
            'pkg/models/head.py': 'import os\n\nfrom ..datasets import x\n',
            'pkg/models/deep/net.py': 'from ...apis import y\n',
            'pkg/datasets/__init__.py': 'from pkg.cli import z\n',
            'pkg/visualization/plot.py': 'from pkg import apis\n',
            'pkg/extra/thing.py': '',
        })
    layers = {
        '': ('models', ),
        'errors': (),
        'models': ('errors', ),
        'datasets': (),
        'visualization': (),
    }
    assert layering_violations(str(tmp_path / 'pkg'), layers) == [
        'pkg/datasets/__init__.py:1: datasets imports cli (may import: '
        'nothing)',
        "pkg/extra/thing.py: 'extra' is not in the layering table "
        '(docs/architecture.md)',
        'pkg/models/head.py:3: models imports datasets (may import: errors)',
        'pkg/models/deep/net.py:1: models imports apis (may import: errors)',
        'pkg/visualization/plot.py:1: visualization imports apis (may '
        'import: nothing)',
    ]


def test_private_import_check_finds_names_and_attributes(tmp_path):
    _write(
        tmp_path, {
            'pkg/__init__.py': 'from .version import __version__\n',
            'pkg/version.py': '__version__ = "1"\n',
            'pkg/a.py': '_x = 1\n\n\ndef _own():\n    return _x\n',
            'pkg/b.py': 'from .a import _x\n',
            'pkg/c/__init__.py': '',
            'pkg/c/d.py': 'from .. import a\n\nY = a._own()\n',
            'pkg/c/e.py': 'import pkg.a as alias\n\nZ = alias._x\n',
            'pkg/c/f.py': 'import pkg.a\n\nW = pkg.a._x\n',
        })
    assert private_imports(str(tmp_path / 'pkg')) == [
        'pkg/b.py:1: _x from pkg.a',
        'pkg/c/d.py:3: _own from pkg.a',
        'pkg/c/e.py:3: _x from pkg.a',
        'pkg/c/f.py:3: _x from pkg.a',
    ]


def test_size_check_counts_entries_and_lines(tmp_path):
    _write(
        tmp_path, {
            'apis/__init__.py': '',
            'apis/long.py': 'x = 1\n' * 5,
            'apis/sub/__init__.py': '',
            'apis/sub/longer.py': 'x = 1\n' * 6,
        })
    assert oversized(str(tmp_path / 'apis'), 3, 4) == [
        'apis/long.py: 5 lines, at most 4',
        'apis/sub/longer.py: 6 lines, at most 4',
    ]
    assert oversized(str(tmp_path / 'apis'), 2, 10) == [
        'apis: 3 entries, at most 2: __init__.py, long.py, sub'
    ]


def test_tool_check_finds_imports_paths_and_loaders(tmp_path):
    _write(
        tmp_path, {
            'tools/a.py':
            'import os\nimport vifi_mmaction\n',
            'tools/b.py':
            'import a\n',
            'tools/c.py':
            'from tools.a import main\n',
            'tools/d.py': ('import os.path as osp\nimport sys\n\n'
                           'sys.path.insert(0, osp.dirname(__file__))\n'),
            'tools/e.py': ("import runpy\n\nrunpy.run_path('tools/a.py')\n"),
            'tools/data/f.py': ('import importlib\n\n'
                                "importlib.import_module('b')\n"),
            'tools/data/g.py': ('import importlib.util as u\n\n'
                                "u.spec_from_file_location('x', 'a.py')\n"),
            'tools/h.py':
            'import sys\n\nsys.path[:0] = ["tools"]\n',
        })
    assert tool_imports(str(tmp_path / 'tools')) == [
        'tools/b.py:1: imports a',
        'tools/c.py:1: imports tools.a',
        'tools/d.py:4: changes sys.path',
        'tools/e.py:3: loads a tool with runpy.run_path',
        'tools/h.py:3: changes sys.path',
        'tools/data/f.py:3: loads a tool with importlib.import_module',
        'tools/data/g.py:3: loads a tool with u.spec_from_file_location',
    ]


def test_doc_table_is_read_row_by_row(tmp_path):
    doc = tmp_path / 'architecture.md'
    doc.write_text('| package | may import |\n|---|---|\n'
                   '| `errors`, `utils` | nothing |\n'
                   '| `models` | `errors`, `utils` |\n'
                   '| `vifi_mmaction` (its `__init__`) | `models` |\n')
    assert doc_layering_table(str(doc)) == {
        'errors': (),
        'utils': (),
        'models': ('errors', 'utils'),
        '': ('models', ),
    }


@pytest.mark.slow
def test_import_check_sees_a_package_that_imports_its_cli(tmp_path):
    _write(
        tmp_path, {
            'pkg/__init__.py': 'from . import core\n__version__ = "1"\n',
            'pkg/core.py': 'from .cli.run import run_cli\n',
            'pkg/cli/__init__.py': '',
            'pkg/cli/run.py': 'def run_cli():\n    pass\n',
        })
    assert import_footprint('pkg', str(tmp_path)) == dict(
        cli=['pkg.cli', 'pkg.cli.run'], version='1', public=['cli', 'core'])
