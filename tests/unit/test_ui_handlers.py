"""Every browser event that reads or changes data goes through ``@handler``.

Each public method of a Reflex state is an event the browser can call, so a handler that
opened a session itself could skip the identity and permission checks. Events without the
``@handler`` mark may only change the tab's own vars: their source must not touch a session,
a service or the database.
"""

from __future__ import annotations

import configparser
import inspect
import re

import pytest

import crm_app.crm_app  # noqa: F401 - registers every page state
from crm_app.settings import PROJECT_ROOT
from crm_app.state import AppState

# The identity guards themselves (on_load of every private page) resolve the session.
GUARDS = {("AppState", "check_login"), ("AppState", "check_admin")}
DATA = re.compile(r"\b(ctx|session|get_engine|restrict|_service|services?\.\w+\()\b")


def _states() -> list[type]:
    out, todo = [], [AppState]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.get_substates())
    return out


def _plain_events() -> list[tuple[str, str, str]]:
    found = []
    for cls in _states():
        for name, h in cls.event_handlers.items():
            fn = h.fn
            if hasattr(fn, "__crm_handler__") or (cls.__name__, name) in GUARDS or \
                    (name.startswith("set_") and name[4:] in cls.base_vars):
                continue
            try:
                source = inspect.getsource(fn)
            except (OSError, TypeError):
                continue
            found.append((cls.__name__, name, source))
    # Sorted: substates come from a set, and pytest-xdist needs every worker to collect the
    # same tests in the same order.
    return sorted(found)


def test_the_scan_sees_the_screens():
    names = {c.__name__ for c in _states()}
    assert {"LeadsListState", "CatalogState", "TasksState"} <= names
    assert len(_plain_events()) > 10


@pytest.mark.parametrize(("state", "event", "source"), _plain_events(),
                         ids=lambda v: v if isinstance(v, str) and "\n" not in v else "")
def test_events_without_handler_touch_no_data(state, event, source):
    body = source.split(":", 1)[1] if ":" in source else source
    body = "\n".join(line for line in body.splitlines()
                     if not line.strip().startswith(("#", '"""', "'''")))
    assert not DATA.search(body), f"{state}.{event} touches data without @handler"


def test_every_screen_package_is_in_the_independence_contract():
    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / ".importlinter")
    listed = set(config["importlinter:contract:screens-independent"]["modules"].split())
    screens = {f"pages.{p.name}" for p in (PROJECT_ROOT / "pages").iterdir()
               if p.is_dir() and (p / "__init__.py").exists()}
    assert screens == listed
    assert not [p.name for p in (PROJECT_ROOT / "pages").glob("*.py")
                if p.name != "__init__.py"], "a screen is a package: pages/<screen>/"


def test_every_event_is_called_by_the_name_it_is_kept_under():
    """The browser calls an event by its function's name; a setter made by ``setter("x")``
    and kept under another attribute would be an event nobody can call."""
    wrong = [(cls.__name__, name, h.fn.__qualname__)
             for cls in _states() for name, h in cls.event_handlers.items()
             if name != "setvar" and h.fn.__qualname__.rsplit(".", 1)[-1] != name]
    assert wrong == []
