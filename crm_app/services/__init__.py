"""Domain verbs: keyword-only functions ``(*, session, actor, ...)``.

They validate, change data, write the audit trail and raise domain errors; they know nothing
of Reflex or HTTP, so the UI, the API, the CLI and the worker all share them.
"""
