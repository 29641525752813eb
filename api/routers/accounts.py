"""/api/v1/me: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentAccount
from api.schemas import AUTH_RESPONSES, Me

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=AUTH_RESPONSES)


@router.get("/me", response_model=Me)
def me(account: CurrentAccount) -> Me:
    return Me(name=account.name, role=account.role)
