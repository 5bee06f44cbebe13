# SPDX-License-Identifier: EUPL-1.2
"""Officers and their roles. Every change is written to the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import Conflict, NotFound
from backend.models.accounts import OfficerRole, User, UserKind
from backend.services import audit, participants
from heitje.settings import Settings


def create_officer(
    session: Session,
    settings: Settings,
    actor_id: int | None,
    login: str,
    password: str,
    display_name: str,
    roles: list[str],
) -> User:
    user = participants.new_user(
        session, settings, kind=UserKind.officer, login=login, password=password, display_name=display_name, roles=roles
    )
    audit.append(
        session,
        actor_id=actor_id,
        action="officer.create",
        subject_type="user",
        subject_id=user.id,
        details={"roles": sorted(roles)},
    )
    return user


def list_officers(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.kind == UserKind.officer).order_by(User.id)))


def set_roles(session: Session, actor_id: int | None, officer_id: int, roles: list[str]) -> User:
    user = session.scalar(select(User).where(User.id == officer_id).with_for_update())
    if user is None or user.kind != UserKind.officer:
        raise NotFound("no such officer")
    new = sorted(set(roles))
    if officer_id == actor_id and OfficerRole.admin not in new:
        raise Conflict("an admin cannot remove their own admin role (ask another admin)")
    old = list(user.roles)
    user.roles = new
    audit.append(
        session,
        actor_id=actor_id,
        action="officer.roles",
        subject_type="user",
        subject_id=user.id,
        details={"old": old, "new": new},
    )
    return user
