"""Automation rules (Ajustes → Automatizaciones, issue 13): ``rules`` (what a rule is, its
validation and CRUD) and ``engine`` (outbox events, the time sweep, the simulator and the
execution log). See each module's docstring."""

from crm_app.services.automation.engine import (
    MAX_DEPTH,
    list_runs,
    pending_events,
    process_outbox,
    run_due,
    runs_for_record,
    set_mail_queue,
    simulate,
)
from crm_app.services.automation.rules import (
    create_rule,
    delete_rule,
    editor_options,
    get_rule,
    list_rules,
    rule_dict,
    update_rule,
    validate,
)

__all__ = ["MAX_DEPTH", "create_rule", "delete_rule", "editor_options", "get_rule",
           "list_rules", "list_runs", "pending_events", "process_outbox", "rule_dict",
           "run_due", "runs_for_record", "set_mail_queue", "simulate", "update_rule",
           "validate"]
