"""Accounts and bearer tokens: random tokens, stored only as SHA-256, looked up by that hash."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import INSTRUCTOR, STUDENT, Account, Token

TOKEN_PREFIX = "dlg_"
# Student IDs also land in CSV gradebooks: no leading =, +, - or @ (spreadsheet formulas), no commas.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class InvalidName(ValueError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise InvalidName(f"{name!r} is not a valid ID (letters, digits, _ . @ -; at most 64; "
                          "starting with a letter or digit)")
    return name


def get_or_create_account(session: Session, role: str, name: str) -> Account:
    name = check_name(name)
    account = session.scalar(select(Account).where(Account.role == role, Account.name == name))
    if account is None:
        account = Account(role=role, name=name)
        session.add(account)
        session.flush()
    return account


def issue_token(session: Session, account: Account) -> str:
    """A new token for ``account`` (earlier tokens stay valid).  The plain token exists only in the return value."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(Token(account_id=account.id, token_hash=hash_token(token)))
    session.flush()
    return token


def create_token(session: Session, role: str, name: str) -> str:
    if role not in (STUDENT, INSTRUCTOR):
        raise ValueError(f"unknown role {role!r}")
    return issue_token(session, get_or_create_account(session, role, name))


def account_for_token(session: Session, token: str) -> Account | None:
    if not token or len(token) > 256:
        return None
    return session.scalar(select(Account).join(Token).where(Token.token_hash == hash_token(token)))


def parse_roster(text: str) -> list[str]:
    """Student IDs from a CSV: the column named student/student_id/id/学籍番号, else the first column.

    A header row is recognised by one of those names, or by a first cell that is not an ID;
    blank lines and duplicates are dropped.
    """
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r and any(c.strip() for c in r)]
    if not rows:
        return []
    column = 0
    header = [c.strip().lower() for c in rows[0]]
    for name in ("student", "student_id", "id", "学籍番号"):
        if name in header:
            column = header.index(name)
            rows = rows[1:]
            break
    else:
        if not NAME_RE.match(rows[0][0].strip()):
            rows = rows[1:]
    ids: list[str] = []
    for number, row in enumerate(rows, start=1):
        value = row[column].strip() if column < len(row) else ""
        if not value:
            continue
        try:
            value = check_name(value)
        except InvalidName as exc:
            raise InvalidName(f"row {number}: {exc}") from None
        if value not in ids:
            ids.append(value)
    return ids


def import_roster(session: Session, student_ids: list[str], reissue: bool = False) -> tuple[dict[str, str], list[str]]:
    """Create the students that are new and give each a token.

    Returns ``({student: token}, skipped)``: students that already have a token are skipped unless
    ``reissue`` (their old tokens stay valid either way).
    """
    issued: dict[str, str] = {}
    skipped: list[str] = []
    for student in student_ids:
        account = get_or_create_account(session, STUDENT, student)
        has_token = session.scalar(select(Token.id).where(Token.account_id == account.id).limit(1)) is not None
        if has_token and not reissue:
            skipped.append(student)
            continue
        issued[student] = issue_token(session, account)
    return issued, skipped
