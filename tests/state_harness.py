"""Unit-test Reflex page states in-process, against the test engine.

``tab(StateClass, user)`` is that state as a browser tab of ``user`` would have it on the
server: a real root state, the user's real session cookie in the router headers. Calling a
handler (``s.save({...})``) runs the real ``@handler`` wrapper — session, identity,
permission, error mapping — and returns the events the browser would get. Generator handlers
are drained with ``run``; background handlers (``@handler(background=True)``, which Reflex
refuses to call directly) run to their end with ``run_bg``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from aio import run_async
from reflex.istate.data import RouterData
from reflex.state import State
from sqlmodel import Session

from crm_app import db
from crm_app.models import User
from crm_app.services import auth as auth_service


def tab(state_cls: type, user: User | None, *, path: str = "/", query: dict | None = None
        ) -> Any:
    """An instance of ``state_cls`` for a tab signed in as ``user`` (``None``: no session)."""
    token = ""
    if user is not None:
        with Session(db.get_engine(), expire_on_commit=False) as session:
            token = auth_service.open_session(session=session, user=session.get(User, user.id))
    root = State(_reflex_internal_init=True)
    full = f"{path}?{urlencode(query)}" if query else path
    root.router = RouterData.from_router_data({
        "headers": {"cookie": f"crm_session={token}" if token else ""},
        "pathname": path, "asPath": full, "query": query or {}})
    state: Any = root
    for part in state_cls.get_full_name().split(".")[1:]:
        state = state.substates[part]
    return state


def run(result: Any) -> list[Any]:
    """Drain a handler's result (a generator's yields included) into a flat list of events."""
    if inspect.isgenerator(result):
        out: list[Any] = []
        for item in result:
            out.extend(run(item))
        return out
    if result is None:
        return []
    if isinstance(result, Iterable) and not isinstance(result, str | bytes | dict):
        return [e for item in result for e in run(item)]
    return [result]


def run_bg(state: Any, name: str, *args: Any) -> list[Any]:
    """Run the background handler ``name`` of ``state`` to its end, like Reflex would (on a
    plain state ``async with self`` is a no-op); its events, flattened."""
    result = getattr(type(state), name).fn(state, *args)

    async def drain() -> list[Any]:
        if inspect.isasyncgen(result):
            out: list[Any] = []
            async for item in result:
                out.extend(run(item))
            return out
        return run(await result)

    return run_async(drain())


def names(events: list[Any]) -> list[str]:
    """The handler names of events (``_redirect``, ``_call_function``…) to assert on."""
    return [e.handler.fn.__qualname__.rsplit(".", 1)[-1]
            for e in events if getattr(e, "handler", None) is not None]
