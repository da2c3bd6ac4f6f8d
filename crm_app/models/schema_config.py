"""The one naming and configuration convention of the API schemas (``schemas_*`` modules).

Every router speaks the same shapes (issue 11, like the FastAPI full-stack template):

- ``XCreate``: the body of ``POST`` (unknown keys are a 422 naming the key);
- ``XUpdate``: the body of ``PATCH``, read with ``model_dump(exclude_unset=True)`` so only the
  keys sent change;
- ``XPublic``: one record as answered; ``XsPublic``: a list, ``{"data": [...], "count": n}``
  where ``count`` is every row that matches (not only this page);
- an action's body is named by the action (``OpportunityMove``, ``QuoteSend``, ``LeadConvert``).

Request bodies carry an example, published in the OpenAPI document (``/api/docs`` fills the
"Try it out" form with it), so each is written once here, next to the fields it shows.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict


def body(*examples: dict[str, Any], strip: bool = False) -> ConfigDict:
    """The config of a request body: unknown keys forbidden, ``examples`` published."""
    return ConfigDict(extra="forbid", str_strip_whitespace=strip,
                      json_schema_extra={"examples": list(examples)} if examples else None)


def public(**extra: Any) -> ConfigDict:
    """The config of an answer: built from ORM rows or dicts alike."""
    return ConfigDict(from_attributes=True, **extra)


__all__ = ["body", "public"]
