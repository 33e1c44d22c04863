"""The SSO's directory: people, firms, memberships, delegations and OIDC clients, loaded from the seed file.

The seed is YAML (see ``mock_provider/seed/default.yaml``); a user replaces it with the ``seed_file`` setting.
:func:`load_seed` validates the whole file before writing anything, and :func:`apply_seed` writes it in the
caller's transaction, so that a reset of the mock is one transaction too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import yaml
from sqlalchemy import Select, and_, bindparam, delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from mock_provider.core import api_keys
from mock_provider.core.errors import Forbidden, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.models import ApiKey, Delegation, Firm, Membership, OAuthClient, TermsAcceptance, User

ACCOUNTANT = "expert-comptable"
ROLES = (ACCOUNTANT, "collaborateur")
DELEGATIONS = ("sign", "seal", "prepare")
IDENTITY_SOURCES = ("comptexpert", "expertpass")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


class SeedError(ValueError):
    """The seed file is malformed; the message names the entry at fault."""


@dataclass(frozen=True)
class SeedMembership:
    firm: str
    role: str
    delegations: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedUser:
    id: str
    login: str
    given_name: str
    family_name: str
    email: str
    identity_source: str
    phone_number: str | None
    memberships: tuple[SeedMembership, ...]


@dataclass(frozen=True)
class SeedFirm:
    id: str
    name: str
    siren: str
    siret: str


@dataclass(frozen=True)
class SeedClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    client_secret: str | None = None


@dataclass(frozen=True)
class Seed:
    firms: tuple[SeedFirm, ...]
    users: tuple[SeedUser, ...]
    clients: tuple[SeedClient, ...] = field(default=())
    #: The trust provider's operator API keys (:mod:`mock_provider.core.api_keys`).
    api_keys: tuple[api_keys.SeedApiKey, ...] = field(default=())


def default_seed_text() -> str:
    return resources.files("mock_provider.seed").joinpath("default.yaml").read_text(encoding="utf-8")


def load_seed(path: Path | None = None) -> Seed:
    """Read and validate a seed file (the packaged default when ``path`` is None)."""
    text = path.read_text(encoding="utf-8") if path is not None else default_seed_text()
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SeedError(f"the seed is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SeedError("the seed must be a mapping with firms, users and clients")
    firms = tuple(_firm(entry) for entry in _list(raw, "firms"))
    firm_ids = {f.id for f in firms}
    if len(firm_ids) != len(firms):
        raise SeedError("firm ids must be unique")
    users = tuple(_user(entry, firm_ids) for entry in _list(raw, "users"))
    if len({u.id for u in users}) != len(users) or len({u.login for u in users}) != len(users):
        raise SeedError("user ids and logins must be unique")
    clients = tuple(_client(entry) for entry in _list(raw, "clients"))
    keys = tuple(_api_key(entry) for entry in _list(raw, "api_keys"))
    if len({k.id for k in keys}) != len(keys) or len({k.key for k in keys}) != len(keys):
        raise SeedError("API key ids and keys must be unique")
    return Seed(firms, users, clients, keys)


def apply_seed(session: Session, seed: Seed, now: datetime) -> None:
    """Replace the directory (people, firms, delegations, clients) with the seed's, in ``session``."""
    for model in (Delegation, Membership, OAuthClient, ApiKey, User, Firm):
        session.execute(delete(model))
    session.flush()
    for firm in seed.firms:
        session.add(Firm(id=firm.id, name=firm.name, siren=firm.siren, siret=firm.siret))
    session.flush()
    for user in seed.users:
        session.add(
            User(
                id=user.id,
                login=user.login,
                given_name=user.given_name,
                family_name=user.family_name,
                email=user.email,
                phone_number=user.phone_number,
                identity_source=user.identity_source,
            )
        )
    session.flush()
    for user in seed.users:
        for membership in user.memberships:
            session.add(Membership(user_id=user.id, firm_id=membership.firm, role=membership.role))
            for kind in membership.delegations:
                session.add(
                    Delegation(
                        id=new_id("dlg"),
                        firm_id=membership.firm,
                        user_id=user.id,
                        kind=kind,
                        granted_by="seed",
                        granted_at=now,
                    )
                )
    for client in seed.clients:
        session.add(
            OAuthClient(
                client_id=client.client_id,
                client_secret=client.client_secret,
                redirect_uris=" ".join(client.redirect_uris),
                name=client.name,
            )
        )
    for key in seed.api_keys:
        api_keys.add(session, key=key.key, owner=key.owner, name=key.name, now=now, key_id=key.id)
    session.flush()


def directory_is_empty(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is None


class FirmClaim(TypedDict):
    """A firm in ``/me`` (and in the SSO's ``firms`` claim): the person's role and delegations there."""

    id: str
    name: str
    siren: str
    siret: str | None
    role: str
    delegations: list[str]
    service_open: NotRequired[bool]


@dataclass(frozen=True)
class FirmView:
    """A firm as the SSO's ``firms`` claim and the platform show it to one person."""

    id: str
    name: str
    siren: str
    siret: str
    role: str
    delegations: tuple[str, ...]

    def as_claim(self) -> FirmClaim:
        return {
            "id": self.id,
            "name": self.name,
            "siren": self.siren,
            "siret": self.siret,
            "role": self.role,
            "delegations": list(self.delegations),
        }


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    return user


def opened_firm_ids(session: Session) -> set[str]:
    """Firms whose service a chartered accountant of theirs opened by accepting the terms (step 6)."""
    return set(
        session.scalars(
            select(TermsAcceptance.firm_id)
            .join(
                Membership,
                and_(Membership.firm_id == TermsAcceptance.firm_id, Membership.user_id == TermsAcceptance.user_id),
            )
            .where(Membership.role == ACCOUNTANT)
        ).all()
    )


def may_hold_personal_certificate(firms: list[FirmView]) -> bool:
    """Whether the platform reserves a personal certificate to this person: a chartered accountant of one of their
    firms, or a collaborator holding the ``sign`` delegation of one."""
    return any(firm.role == ACCOUNTANT or "sign" in firm.delegations for firm in firms)


def _signing_rights() -> Select[bool, bool]:
    """Whether one of the person's firms entitles them to sign (an accountant, or a sign delegation), and whether
    one such firm is open to them (its terms accepted by the person and by one of its chartered accountants): one
    statement, built once, since signing asks it on every sendOTP, authorize and signHash."""
    mine = Membership
    entitled = or_(
        mine.role == ACCOUNTANT,
        exists().where(
            Delegation.user_id == mine.user_id, Delegation.firm_id == mine.firm_id, Delegation.kind == "sign"
        ),
    )
    colleague = aliased(Membership)
    opened = exists().where(
        TermsAcceptance.firm_id == mine.firm_id,
        colleague.firm_id == TermsAcceptance.firm_id,
        colleague.user_id == TermsAcceptance.user_id,
        colleague.role == ACCOUNTANT,
    )
    own = aliased(TermsAcceptance)
    accepted = exists().where(own.user_id == mine.user_id, own.firm_id == mine.firm_id)
    person = mine.user_id == bindparam("user_id")
    return select(exists().where(person, entitled), exists().where(person, entitled, opened, accepted))


_SIGNING_RIGHTS = _signing_rights()


def personal_signing_refusal(session: Session, user_id: str) -> Forbidden | None:
    """Why this person may not sign with their personal certificate now, or ``None`` when they may.

    The platform opens the service to a firm when one of its chartered accountants accepts the terms (step 6), and
    to each person for the firms whose terms they accepted themselves: an accountant signs for such a firm, a
    collaborator only while holding its ``sign`` delegation. The certificate itself stays valid: a delegation
    withdrawn (or not yet granted) suspends its use on the platform, and granting it again resumes it.
    """
    row = session.execute(_SIGNING_RIGHTS, {"user_id": user_id}).one()
    if not row[0]:
        return Forbidden(
            "a collaborator signs with a firm's sign delegation, granted by its chartered accountant",
            code="sign_delegation_required",
        )
    if not row[1]:
        return Forbidden(
            "the service opens once the terms are accepted for the firm (step 6, « validation des CGU et RGPD »)",
            code="service_not_open",
        )
    return None


def firms_of(session: Session, user_id: str) -> list[FirmView]:
    """The firms of a person, with their role and the delegations they hold in each."""
    rows = session.execute(
        select(Firm, Membership.role)
        .join(Membership, Membership.firm_id == Firm.id)
        .where(Membership.user_id == user_id)
        .order_by(Firm.name)
    ).all()
    held: dict[str, list[str]] = {}
    for firm_id, kind in session.execute(
        select(Delegation.firm_id, Delegation.kind).where(Delegation.user_id == user_id)
    ).all():
        held.setdefault(firm_id, []).append(kind)
    return [
        FirmView(
            firm.id,
            firm.name,
            firm.siren,
            firm.siret,
            role,
            tuple(k for k in DELEGATIONS if k in held.get(firm.id, [])),
        )
        for firm, role in rows
    ]


def user_claims(session: Session, user: User) -> dict[str, Any]:
    """The identity claims the SSO releases about ``user`` (OpenID Connect standard claims plus ``firms``)."""
    claims: dict[str, Any] = {
        "sub": user.id,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "name": f"{user.given_name} {user.family_name}",
        "email": user.email,
        "identity_source": user.identity_source,
        "firms": [firm.as_claim() for firm in firms_of(session, user.id)],
    }
    if user.phone_number:
        claims["phone_number"] = user.phone_number
    return claims


# -- validation of seed entries ------------------------------------------------------------------------------------


def _list(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SeedError(f"{key} must be a list of mappings")
    return value


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SeedError(f"{where}: {key} is required")
    return value


def _firm(entry: dict[str, Any]) -> SeedFirm:
    where = f"firm {entry.get('id', '?')}"
    siren, siret = _text(entry, "siren", where), _text(entry, "siret", where)
    if not re.fullmatch(r"[0-9]{9}", siren) or not re.fullmatch(r"[0-9]{14}", siret) or not siret.startswith(siren):
        raise SeedError(f"{where}: SIREN is 9 digits and SIRET the SIREN plus 5 digits")
    return SeedFirm(_text(entry, "id", where), _text(entry, "name", where), siren, siret)


def _user(entry: dict[str, Any], firm_ids: set[str]) -> SeedUser:
    where = f"user {entry.get('login', '?')}"
    phone = entry.get("phone_number")
    if phone is not None and (not isinstance(phone, str) or not _E164.match(phone)):
        raise SeedError(f"{where}: phone_number must be E.164 (+33612345678)")
    source = entry.get("identity_source", "comptexpert")
    if source not in IDENTITY_SOURCES:
        raise SeedError(f"{where}: identity_source must be one of {', '.join(IDENTITY_SOURCES)}")
    memberships = []
    for m in entry.get("firms", []):
        if not isinstance(m, dict) or m.get("firm") not in firm_ids:
            raise SeedError(f"{where}: each firm entry names a known firm id")
        if m.get("role") not in ROLES:
            raise SeedError(f"{where}: role must be one of {', '.join(ROLES)}")
        delegations = tuple(m.get("delegations", []))
        if any(d not in DELEGATIONS for d in delegations):
            raise SeedError(f"{where}: delegations are among {', '.join(DELEGATIONS)}")
        memberships.append(SeedMembership(m["firm"], m["role"], delegations))
    return SeedUser(
        id=entry.get("id") or new_id("usr"),
        login=_text(entry, "login", where),
        given_name=_text(entry, "given_name", where),
        family_name=_text(entry, "family_name", where),
        email=_text(entry, "email", where),
        identity_source=source,
        phone_number=phone,
        memberships=tuple(memberships),
    )


def _client(entry: dict[str, Any]) -> SeedClient:
    where = f"client {entry.get('client_id', '?')}"
    uris = entry.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise SeedError(f"{where}: redirect_uris is a non-empty list")
    secret = entry.get("client_secret")
    if secret is not None and not isinstance(secret, str):
        raise SeedError(f"{where}: client_secret is a string")
    return SeedClient(_text(entry, "client_id", where), entry.get("name") or entry["client_id"], tuple(uris), secret)


def _api_key(entry: dict[str, Any]) -> api_keys.SeedApiKey:
    where = f"API key {entry.get('id', '?')}"
    key = _text(entry, "key", where)
    if not key.startswith(api_keys.KEY_PREFIX) or len(key) < len(api_keys.KEY_PREFIX) + 16:
        raise SeedError(f"{where}: a key starts with {api_keys.KEY_PREFIX} and has 16 characters more at least")
    return api_keys.SeedApiKey(_text(entry, "id", where), _text(entry, "owner", where), entry.get("name") or "", key)
