"""The demo module runs and reports the backend."""

import hazelcast
from hazelcast import demo


def test_demo_runs(capsys):
    demo.main()
    out = capsys.readouterr().out
    assert f"backend: {hazelcast.BACKEND}" in out
    assert "map='demo-map'" in out
    assert "'Ada' [1, 2, 3] [True, False, True]" in out
