"""Who is acting, and the permission checks every service applies before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass

from registry.errors import Forbidden
from registry.models import User


@dataclass(frozen=True)
class Actor:
    """The person or process behind a change, as written in the audit trail."""

    label: str
    role: str
    user_id: int | None = None
    body_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(label=f"user:{user.username}", role=user.role, user_id=user.id, body_id=user.body_id)


# Command-line maintenance (standards sync, first regulator): trusted as the regulator.
SYSTEM = Actor(label="system:cli", role="system")


def require_regulator(actor: Actor) -> None:
    if actor.role not in ("regulator", "system"):
        raise Forbidden(
            "regulator-only",
            "只有人社部门（监管方）可以执行此操作。",
            "Only the regulator (the HRSS department) may do this.",
        )


def require_body_role(actor: Actor, body_id: int, *roles: str) -> None:
    """The actor must be staff of this body with one of the roles (the regulator is not)."""
    if actor.body_id != body_id:
        raise Forbidden(
            "other-body",
            "不能操作其他评价机构的数据。",
            "You may not act on another evaluation body's data.",
        )
    if actor.role not in roles:
        names = "、".join(_ROLE_ZH[r] for r in roles)
        raise Forbidden(
            "role-required",
            f"此操作需要以下角色之一：{names}。",
            f"This needs one of the roles: {', '.join(roles)}.",
        )


_ROLE_ZH = {"regulator": "监管方", "body_admin": "机构管理员", "assessor": "考评员", "supervisor": "质量督导员"}
