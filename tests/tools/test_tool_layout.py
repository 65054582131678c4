"""The tools/ layout (mmseg's: entry points on top, the rest in
analysis_tools/, dataset_converters/, misc/): every tool answers --help, no
tool edits the module search path or imports another tool (shared code is
bus_mm.apis), and every configs/ or tools/ path the README and docs name
exists."""
import glob
import itertools
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from .conftest import REPO

TOOLS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True))
SCRIPTS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'tools', '**', '*.sh'), recursive=True))
# A tool must not reach into another tool (or into the repo root) at all.
FORBIDDEN = [
    (re.compile(r'sys\.path'), 'edits the module search path'),
    (re.compile(r'^\s*(from|import)\s+tools\b', re.M), 'imports tools.*'),
    (re.compile(r'spec_from_file_location'), 'loads a module by path'),
]
# A path in prose or commands: configs/... or tools/..., brace groups allowed
# ({a,b}); not part of a longer path (e.g. projects/x/configs/...).
DOC_PATH = re.compile(r'(?<![\w/.\-])(?:configs|tools)/'
                      r'(?:[\w\-./]|\{[^{}\s]*\})+\.(?:py|sh)\b')
DOC_SKIP = ('<', '*', '$')


def test_layout_has_the_mmseg_entry_points():
    top = {f for f in os.listdir(osp.join(REPO, 'tools'))
           if osp.isfile(osp.join(REPO, 'tools', f))}
    assert top == {'train.py', 'test.py', 'infer.py', 'cross_val.py',
                   'dist_train.sh', 'dist_test.sh'}
    assert {osp.dirname(t) for t in TOOLS} == {
        'tools', 'tools/analysis_tools', 'tools/dataset_converters',
        'tools/misc'}
    assert not glob.glob(osp.join(REPO, 'tools', '**', '__init__.py'),
                         recursive=True)


@pytest.mark.parametrize('tool', TOOLS)
def test_tool_answers_help(tool, tmp_path):
    """``python tools/.../x.py --help`` exits 0 with argparse's usage, run
    from an unrelated folder: the tool needs only the installed bus_mm."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONDONTWRITEBYTECODE='1')
    env.pop('PYTHONPATH', None)
    proc = subprocess.run([sys.executable, osp.join(REPO, tool), '--help'],
                          cwd=str(tmp_path), env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.lstrip().startswith('usage:'), proc.stdout[:500]
    assert os.listdir(tmp_path) == []  # --help writes nothing


@pytest.mark.parametrize('path', TOOLS + SCRIPTS)
def test_tool_has_no_path_hacks_or_tool_imports(path):
    with open(osp.join(REPO, path)) as f:
        text = f.read()
    bad = [why for pattern, why in FORBIDDEN if pattern.search(text)]
    assert not bad, f'{path}: {", ".join(bad)}'


@pytest.mark.parametrize('script', SCRIPTS)
def test_shell_scripts_parse(script):
    assert subprocess.run(['bash', '-n', osp.join(REPO, script)]
                          ).returncode == 0


def test_package_never_imports_tools_or_apis_below_it():
    """bus_mm.apis builds on the package; nothing below it imports apis
    (or any tool), so ``import bus_mm`` has no cycle."""
    pattern = re.compile(
        r'^\s*(from\s+(tools|bus_mm\.apis|\.+apis)\b|import\s+'
        r'(tools|bus_mm\.apis)\b)', re.M)
    bad = []
    for sub in ('datasets', 'engine', 'evaluation', 'models',
                'visualization'):
        for path in glob.glob(osp.join(REPO, 'bus_mm', sub, '**', '*.py'),
                              recursive=True):
            with open(path) as f:
                if pattern.search(f.read()):
                    bad.append(osp.relpath(path, REPO))
    assert not bad


def expand_braces(path):
    """``a{,_b}{1,2}.py`` -> ``['a1.py', 'a2.py', 'a_b1.py', 'a_b2.py']``."""
    parts = re.split(r'(\{[^{}]*\})', path)
    options = [p[1:-1].split(',') if p.startswith('{') else [p]
               for p in parts]
    return [''.join(c) for c in itertools.product(*options)]


def doc_paths(text):
    """Every configs/ or tools/ .py/.sh path of a Markdown text, brace
    groups expanded, placeholders (``<...>``, ``*``, ``$VAR``) skipped."""
    out = []
    for m in DOC_PATH.finditer(text):
        # the whole word, to see placeholders next to the match
        start = m.start()
        while start > 0 and not text[start - 1].isspace() and \
                text[start - 1] not in '`\'"(':
            start -= 1
        end = m.end()
        while end < len(text) and not text[end].isspace() and \
                text[end] not in '`\'")':
            end += 1
        if any(c in text[start:end] for c in DOC_SKIP):
            continue
        out += expand_braces(m.group(0))
    return out


def test_doc_path_parser():
    text = ('run `python tools/train.py configs/a/b{,_sup,_2gen}.py`, then '
            'configs/{x,y}_z.py; not configs/m*_k.py, tools/<name>.py, '
            'projects/p/configs/q.py or $WORK/configs/r.py')
    assert doc_paths(text) == [
        'tools/train.py', 'configs/a/b.py', 'configs/a/b_sup.py',
        'configs/a/b_2gen.py', 'configs/x_z.py', 'configs/y_z.py']


def test_readme_and_docs_paths_exist():
    docs = [osp.join(REPO, 'README.md')] + sorted(glob.glob(
        osp.join(REPO, 'docs', '**', '*.md'), recursive=True))
    missing = []
    for doc in docs:
        if not osp.isfile(doc):
            continue
        with open(doc, encoding='utf-8') as f:
            text = f.read()
        for path in doc_paths(text):
            if not osp.exists(osp.join(REPO, path)):
                missing.append(f'{osp.relpath(doc, REPO)}: {path}')
    assert not missing, 'paths named in the docs that do not exist:\n' + \
        '\n'.join(sorted(set(missing)))
