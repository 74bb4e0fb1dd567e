"""Identity: the actions it records in the audit log (``audit.record``/``audit.build_record``).

Found by convention (:mod:`souk.registry`) by :func:`souk.audit.service.declared_actions`; a test
checks that every action the code records is declared by its domain.
"""

from __future__ import annotations

AUDIT_ACTIONS = frozenset(
    {
        "address.create",
        "address.delete",
        "address.update",
        "api_key.create",
        "api_key.revoke",
        "session.logout",
        "session.revoke",
        "settings.update",
        "user.activate",
        "user.delete",
        "user.login_2fa",
        "user.mfa_disable",
        "user.mfa_enable",
        "user.mfa_replay_refused",
        "user.mfa_setup",
        "user.oauth_link",
        "user.password_change",
        "user.password_reset",
        "user.password_reset_request",
        "user.register",
        "user.role_change",
        "user.suspend",
        "user.update",
        "user.verify",
    }
)
