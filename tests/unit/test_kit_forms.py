"""The kit's select: fixed option lists given as dicts (``with_all`` of a fixed list, what a
``record_list`` ``Filter`` builds from its options) show their labels, not the dict's keys."""

from __future__ import annotations

from components.forms import NONE, choice, with_all


def test_dict_options_show_their_labels():
    fixed = [{"value": "won", "label": "Ganada"}, {"value": "lost", "label": "Perdida"}]
    rendered = str(choice(with_all(fixed, "Todos"), id="filter-status").render())
    for text in ("Ganada", "Perdida", "Todos", "won", "lost", NONE):
        assert text in rendered, text
    assert '"label"' not in rendered.replace('"aria-label"', "")


def test_pairs_still_work():
    rendered = str(choice([("21", "21 %"), ("10", "10 %")], id="tax").render())
    assert "21 %" in rendered and "10 %" in rendered
