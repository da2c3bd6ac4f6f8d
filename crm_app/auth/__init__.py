"""Authentication: password hashing, server-side sessions, API tokens, OIDC."""
