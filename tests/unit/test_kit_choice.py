"""The kit's select takes its options in every shape the kit itself produces.

``record_list`` turns a filter's (value, label) pairs into ``{value, label}`` dicts and puts
"Todos" in front (``with_all``); the select then listed the dicts' keys ("value", "label")
instead of the options, so a filter declared with pairs offered nothing to pick.
"""

from __future__ import annotations

import json

from components.forms import choice, with_all


def _items(component) -> list[str]:  # noqa: ANN001
    text = json.dumps(component.render(), ensure_ascii=False)
    return [v for v in ("Alfa", "Beta", "Todos", "\\\"label\\\"", "\\\"value\\\"") if v in text]


def test_pairs_dicts_and_with_all_render_the_labels():
    pairs = [("a", "Alfa"), ("b", "Beta")]
    dicts = [{"value": v, "label": lbl} for v, lbl in pairs]
    for options in (pairs, dicts, with_all(dicts, "Todos"), with_all(pairs, "Todos")):
        found = _items(choice(options, id="x"))
        assert {"Alfa", "Beta"} <= set(found) and not any('"' in f for f in found), found
