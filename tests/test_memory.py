"""desktop.memory.give_back: the one place that gives freed allocator memory back to the OS."""

import subprocess
import sys


def test_give_back_never_imports_pyarrow_and_releases_its_pool_once_loaded():
    code = (
        "import sys\n"
        "from desktop import memory\n"
        "memory.give_back()\n"
        "assert 'pyarrow' not in sys.modules, 'give_back imported pyarrow'\n"
        "import pyarrow as pa\n"
        "released = []\n"
        "class Pool:\n"
        "    def release_unused(self): released.append(1)\n"
        "pa.default_memory_pool = Pool\n"
        "memory.give_back()\n"
        "print(len(released))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"  # the pool of the pyarrow loaded, once


def test_the_ingest_lane_and_the_workspace_analysis_call_the_one_helper():
    import inspect

    from desktop import workspace_analysis
    from desktop.ingest import fast

    for mod in (fast, workspace_analysis):
        src = inspect.getsource(mod)
        assert "memory.give_back()" in src and "malloc_trim" not in src, mod.__name__
