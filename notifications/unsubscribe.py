"""Signed one-click unsubscribe links: a person and a kind of email, nothing else."""

from __future__ import annotations

from django.core import signing

SALT = "notifications.unsubscribe"


def token_for(*, user_id: int, kind: str) -> str:
    return signing.dumps([user_id, kind], salt=SALT)


def token_read(token: str) -> tuple[int, str] | None:
    try:
        user_id, kind = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (user_id, kind) if isinstance(user_id, int) and isinstance(kind, str) else None
