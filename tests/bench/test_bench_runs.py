"""The benchmark is code too: it must keep running (figures are reported, not asserted)."""

from bench.scan import main


def test_benchmark_runs_on_a_small_tenant(capsys):
    assert main(["--users", "20", "--latency-ms", "0", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "requests" in out.splitlines()[0]
    assert "completed" in out


def test_reverify_benchmark_runs_on_a_few_tenants(capsys):
    from bench.reverify import main as reverify

    assert reverify(["--tenants", "3", "--latency-ms", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:2] == ["3", "tenants:"] and "completed 3" in out[1]
