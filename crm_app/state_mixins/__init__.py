"""State pieces several screens share (the account picker, the stage-move dialog).

State layer: they may import Reflex and the core (services, models, i18n), never a page; every
method that reads or changes data is a ``@handler``. Their stateless views live in
``components/`` (``account_picker``, ``stage_move``).
"""
