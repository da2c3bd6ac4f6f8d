"""The suite's own guards (tests/suite_guards.py, tests/aio.py): a test cannot make a later one
fail by leaving an event loop marked running on the main thread, as Playwright's synchronous
API does for as long as the browser tests' ``browser`` is open."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aio import run_async

pytest_plugins = ["pytester"]

async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_run_async_runs_while_a_loop_is_marked_running_on_this_thread() -> None:
    loop = asyncio.new_event_loop()
    asyncio.events._set_running_loop(loop)  # what Playwright leaves between its calls
    try:
        coro = _answer()
        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.run(coro)
        coro.close()
        assert run_async(_answer()) == 42
        with pytest.raises(ZeroDivisionError):  # an error comes back to the caller
            run_async(_divide())
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()
    assert run_async(_answer()) == 42  # and on a free thread as asyncio.run


async def _divide() -> float:
    return 1 / 0


def test_browser_tests_run_last_and_a_leaked_loop_fails_the_test_that_leaked_it(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_order="""
        import asyncio

        import pytest

        @pytest.mark.browser
        def test_a_browser():  # as Playwright's sync API: a loop marked running, kept
            asyncio.events._set_running_loop(asyncio.new_event_loop())

        def test_b_upload():
            assert asyncio.run(asyncio.sleep(0, "ok")) == "ok"

        def test_c_leaks():
            asyncio.events._set_running_loop(asyncio.new_event_loop())

        def test_d_after_the_leak():
            pass
    """)
    try:
        result = pytester.runpytest_inprocess("-p", "suite_guards", "-p", "no:cacheprovider",
                                              "-v", "-W",
                                              "ignore::pytest.PytestUnknownMarkWarning")
    finally:  # the inner tests marked loops running on this very thread: unmark them
        asyncio.events._set_running_loop(None)
    out = result.stdout.str()
    order = [line.split("::")[1].split()[0] for line in out.splitlines()
             if line.startswith("test_order.py::") and line.rstrip().endswith("%]")
             and " PASSED " in line]
    assert order[0] == "test_b_upload" and order[-1] == "test_a_browser", out
    result.assert_outcomes(passed=4, errors=1)  # test_c_leaks: passed, then its teardown fails
    assert "test_order.py::test_c_leaks left an event loop marked running" in out


def test_two_tests_with_one_node_id_stop_the_run(pytester: pytest.Pytester) -> None:
    """A scheduler that hands out work by node id would run only one of them, silently."""
    pytester.makeconftest("""
        def pytest_collection_modifyitems(items):
            items.append(items[0])  # as pytest 9.2 did to the schemathesis operations
    """)
    pytester.makepyfile(test_twice="def test_one():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "suite_guards", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mismo id*test_twice.py::test_one*"])


RENDEZVOUS = """
import os, time
from pathlib import Path


def rendezvous():
    seen = Path(os.environ["RENDEZVOUS_DIR"], "workers")
    with seen.open("a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    deadline = time.monotonic() + 60
    while len(set(seen.read_text().split())) < 2:
        assert time.monotonic() < deadline, "only one worker ran the other tests"
        time.sleep(0.02)

"""


@pytest.mark.slow
def test_under_two_workers_the_browser_tests_are_one_workers_and_nothing_is_lost(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/ui goes to one worker as a whole (one app, one frontend build, one Chromium);
    every other test is handed out on its own; every test runs once."""
    ui = "\n".join(f"def test_ui_{i}():\n    import time; time.sleep(0.05)\n"
                   for i in range(16))
    # Each other test waits (up to 60 s) until both workers have run one: with the units
    # handed out one by one the worker that ends tests/ui takes the next one and this
    # holds however loaded the machine is; with the others grouped it would time out.
    other = RENDEZVOUS + "\n".join(f"def test_other_{i}():\n    rendezvous()\n"
                                    for i in range(16))
    pytester.mkpydir("tests")
    pytester.mkpydir("tests/ui").joinpath("test_screens.py").write_text(ui)
    pytester.mkpydir("tests/unit").joinpath("test_rest.py").write_text(other)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]))  # suite_guards.py
    monkeypatch.setenv("RENDEZVOUS_DIR", str(pytester.path))
    result = pytester.runpytest_subprocess("-p", "suite_guards", "-p", "no:cacheprovider",
                                           "-n", "2", "-v", "tests")
    result.assert_outcomes(passed=32)
    out = result.stdout.str()
    workers = {line.split("[")[1].split("]")[0] for line in out.splitlines()
               if "PASSED tests/ui/" in line}
    assert len(workers) == 1, out
    assert {line.split("[")[1].split("]")[0] for line in out.splitlines()
            if "PASSED tests/unit/" in line} == {"gw0", "gw1"}, out
