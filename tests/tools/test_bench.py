"""tools/analysis_tools/bench.py run like a user (--quick), plus its
timing/output helpers."""
import json

import pytest

from .conftest import load_tool, run_tool

BENCH = 'tools/analysis_tools/bench.py'
SECTIONS = ('phantom', 'pipeline', 'assgan', 'taichinet', 'infer',
            'fastpath')


def load_bench():
    return load_tool(BENCH)


@pytest.fixture(scope='module')
def quick_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('bench')
    out = tmp / 'b.json'
    # a missing data root: the pipeline section generates phantoms itself
    proc = run_tool(BENCH, '--quick', '--sections', *SECTIONS,
                    '--data-root', str(tmp / 'no_data'), '--out', str(out))
    return tmp, out, proc


def test_json_has_every_section_with_positive_numbers(quick_run):
    _, out, _ = quick_run
    res = json.loads(out.read_text())
    machine = res['machine']
    assert machine['cpu'] and machine['cpu_cores'] >= 1
    assert machine['torch_threads'] >= 1 and machine['torch']
    assert machine['devices'] == ['cpu'] and machine['date']
    assert res['settings']['quick'] is True
    assert list(res['sections']) == list(SECTIONS)
    for name, sec in res['sections'].items():
        assert sec['errors'] == [], (name, sec['errors'])
        assert sec['rows'] and sec['derived'] and sec['memory'], name
        for row in sec['rows']:
            assert 0 < row['min_ms'] <= row['median_ms'], (name, row)
            assert row['images_per_s'] > 0, (name, row)
            assert len(row['times_ms']) == row['iters'] >= 1
        for d in sec['derived']:
            assert d['value'] > 0, (name, d)
        for mem in sec['memory']:
            assert mem['peak_rss_mb'] > 0 and mem['device'] == 'cpu'
        for p in sec['params']:
            assert p['params'] > 0
    secs = res['sections']
    names = {n: {d['name']: d['value'] for d in s['derived']}
             for n, s in secs.items()}
    # pipeline: supply vs. demand and the implied worker count
    assert secs['pipeline']['info']['cpu']['generated_data'] is True
    assert names['pipeline']['dataloader workers needed'] >= 1
    assert 'pipeline supply / training demand' in names['pipeline']
    # assgan: both phases and the baseline, overhead ratios
    items = [r['item'] for r in secs['assgan']['rows']]
    assert any(i.startswith('ASSGAN iter, supervised') for i in items)
    assert any(i.startswith('ASSGAN iter, semi') for i in items)
    assert sum(i.startswith('G_') for i in items) == 2
    assert any(k.startswith('overhead ASSGAN') and 'semi' in k
               for k in names['assgan'])
    # the baseline trains on the labeled half of the ASSGAN batch
    batches = {r['item']: r['batch'] for r in secs['assgan']['rows']}
    assert all(b * 2 == batches['ASSGAN iter, supervised phase']
               for i, b in batches.items() if i.startswith('G_'))
    # taichinet: two paths + attention have more than twice Model 1's params
    params = {p['model']: p['params'] for p in secs['taichinet']['params']}
    full = next(v for k, v in params.items() if k.startswith('TaiChiNet'))
    one = next(v for k, v in params.items() if k.startswith('Model 1'))
    assert full > 2 * one
    assert names['taichinet']['parameters TaiChiNet / Model 1'] == \
        pytest.approx(full / one)
    assert len(secs['taichinet']['rows']) == 4
    assert 'inference_model() / bare forward' in names['infer']
    # fastpath: every model, train and inference, in each precision/layout
    rows = secs['fastpath']['rows']
    modes = {r['precision'] for r in rows}
    assert {'fp32', 'fp32+cl'} <= modes
    for model in ('ASSGAN demo', 'TaiChiNet cpu128', 'U-Net cpu128'):
        for kind in ('train iter', 'inference'):
            got = {r['precision'] for r in rows
                   if r['item'] == f'{model} {kind}'}
            assert got == modes, (model, kind)
        assert f'{model} channels_last gain, train' in names['fastpath']


def test_markdown_table_printed(quick_run):
    _, out, proc = quick_run
    stdout = proc.stdout
    assert stdout.lstrip().startswith('# bus_mm benchmark')
    assert '| item | device | precision | batch |' in stdout
    for name in SECTIONS:
        assert f'## {name}' in stdout
    assert '## peak memory' in stdout
    assert str(out) in stdout
    # progress goes to stderr, one line per section at least
    assert all(f'{name} on cpu' in proc.stderr for name in SECTIONS)


def test_second_run_does_not_overwrite(quick_run):
    tmp, out, _ = quick_run
    before = out.read_text()
    proc = run_tool(BENCH, '--quick', '--sections', 'phantom',
                    '--out', str(out))
    assert out.read_text() == before
    second = tmp / 'b_1.json'
    assert second.is_file() and str(second) in proc.stdout
    assert list(json.loads(second.read_text())['sections']) == ['phantom']


def test_unique_path_and_measure(tmp_path):
    bench = load_bench()
    path = str(tmp_path / 'x.json')
    assert bench.unique_path(path) == path
    for expected in ('x.json', 'x_1.json', 'x_2.json'):
        written = bench.write_json({'a': 1}, path)
        assert written == str(tmp_path / expected)
    assert json.loads(open(path).read()) == {'a': 1}

    calls = []
    timing, last = bench.measure(lambda: calls.append(1) or len(calls),
                                 iters=3, warmup=2)
    assert len(calls) == 5 and last == 5
    assert timing['iters'] == 3 and len(timing['times_ms']) == 3
    assert timing['min_ms'] <= timing['median_ms']


def test_bad_size_is_refused():
    proc = run_tool(BENCH, '--size', '100', check=False)
    assert proc.returncode != 0 and 'multiple of 32' in proc.stderr


def test_taichinet_w32_section_is_offered():
    proc = run_tool(BENCH, '--help')
    assert 'taichinet-w32' in proc.stdout


def test_taichinet_w32_section_times_the_paper_width_configs(tmp_path):
    """One iteration per model at --quick sizes: the rows, s/it and the
    Table I parameter counts of the -w32 configs."""
    from bus_mm.apis import PAPER_WIDTH_MODELS
    from bus_mm.engine.optimizers.autocast_optim_wrapper import \
        check_autocast
    out = tmp_path / 'w32.json'
    run_tool(BENCH, '--quick', '--sections', 'taichinet-w32', '--iters', '1',
             '--warmup', '0', '--out', str(out))
    sec = json.loads(out.read_text())['sections']['taichinet-w32']
    assert sec['errors'] == []
    params = {p['model']: p['params'] for p in sec['params']}
    assert params == {'U-Net w32 (Model 1)': 8_633_345,
                      'Model 7 w32': 18_317_412,
                      'TaiChiNet w32': 18_317_412}
    precisions = {'fp32'} | (
        {'bf16'} if check_autocast('bfloat16', 'cpu') is None else set())
    names = {(d['name'], d['precision']): d for d in sec['derived']}
    for title, path in PAPER_WIDTH_MODELS:
        info = sec['info']['cpu'][title]
        assert info['config'] == path and info['max_iters'] == 1200
        assert info['channels'] == '32-64-128-256-512'
        rows = [r for r in sec['rows'] if r['item'] == f'{title} train iter']
        assert {r['precision'] for r in rows} == precisions
        assert all(r['batch'] == 4 and r['size'] == '64x64' for r in rows)
        for prec in precisions:
            s_it = names[(f'{title} s per training iteration', prec)]
            assert s_it['unit'] == 's/it' and s_it['value'] > 0
            total = names[(f'{title} training, 1200 iterations', prec)]
            assert total['value'] == pytest.approx(s_it['value'] * 20)
