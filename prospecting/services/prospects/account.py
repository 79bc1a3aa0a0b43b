"""The workspace's connected LinkedIn account (Unipile): saved with its key
encrypted, checked, disconnected on a refused key, and used for location look-ups."""

from flask import current_app
from sqlalchemy import select

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import LinkedInAccount
from prospecting.models.base import utcnow
from prospecting.providers import netguard
from prospecting.providers import unipile
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderError
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.prospects.criteria import default_api

NO_ACCOUNT = "No active LinkedIn account found"


def get_account(workspace_id: int) -> LinkedInAccount | None:
    return db.session.scalar(
        select(LinkedInAccount).where(LinkedInAccount.workspace_id == workspace_id)
    )


def save_account(
    workspace_id: int, *, dsn: str, api_key: str, account_id: str
) -> LinkedInAccount:
    """Connect (or update) the workspace's account; a blank key keeps the stored one."""
    dsn, account_id, api_key = dsn.strip(), account_id.strip(), api_key.strip()
    if not dsn:
        raise InvalidInput("Enter the DSN (base URL) of your Unipile account.")
    check_base_url(unipile.base_url(dsn))
    if not account_id or len(account_id) > 120:
        raise InvalidInput("Enter the Unipile account id (up to 120 characters).")
    account = get_account(workspace_id)
    if account is None and not api_key:
        raise InvalidInput("Enter the API key of your Unipile account.")
    if account is None:
        account = LinkedInAccount(workspace_id=workspace_id)
        db.session.add(account)
    account.dsn = dsn[:255]
    account.account_id = account_id
    if api_key:
        account.api_key_encrypted = crypto.encrypt(api_key)
    account.status, account.last_error, account.checked_at = "active", None, None
    account.premium_features = None
    account.updated_at = utcnow()
    db.session.commit()
    return account


def check_base_url(url: str) -> None:
    """Refuse a DSN that the provider client would refuse to call (netguard): not
    http(s), unresolvable, or (outside the development sandbox) not https to a
    public address. Every call checks again; this is early feedback."""
    try:
        netguard.check_url(url, label="The DSN")
    except ProviderError as exc:
        raise InvalidInput(exc.message) from exc


def remove_account(workspace_id: int) -> None:
    """Forget the workspace's account and its encrypted key."""
    account = get_account(workspace_id)
    if account is not None:
        db.session.delete(account)
        db.session.commit()


def credentials(account: LinkedInAccount) -> unipile.Credentials:
    """The decrypted credentials of an account (raises crypto.SecretUnreadable)."""
    return unipile.Credentials(
        base_url=account.dsn,
        api_key=crypto.decrypt(account.api_key_encrypted),
        account_id=account.account_id,
    )


def active_account(workspace_id: int) -> LinkedInAccount:
    """The workspace's connected account, or InvalidInput naming the problem."""
    account = get_account(workspace_id)
    if account is None or not account.is_active:
        raise InvalidInput(NO_ACCOUNT, code="no_account")
    return account


def check_account(workspace_id: int) -> LinkedInAccount:
    """Test the stored credentials with one parameters call and record the outcome."""
    account = get_account(workspace_id)
    if account is None:
        raise NotFound("No LinkedIn account is connected yet.")
    try:
        creds = credentials(account)
        unipile.parameters(creds, keywords="a", limit=1)
        account.premium_features = _features(creds)
    except ProviderAuthError as exc:
        _record_error(account, exc.message, disconnect=exc.status == 401)
    except ProviderError as exc:
        _record_error(account, exc.message, disconnect=False)
    except crypto.SecretUnreadable as exc:
        _record_error(account, f"{exc} Enter the API key again.", disconnect=True)
    else:
        account.status, account.last_error = "active", None
    account.checked_at = utcnow()
    db.session.commit()
    return account


def _features(creds: unipile.Credentials) -> list[str] | None:
    """The account's premium features; None (unknown) when only that read fails,
    as searches work without them (the default api is then classic)."""
    try:
        return unipile.premium_features(creds)
    except ProviderAuthError:
        raise
    except ProviderError:
        return None


def search_api(account: LinkedInAccount) -> str:
    """The api a search without `search_source` runs on: the best the account
    has. Features never read (an account saved but not tested) are read now,
    once; when they cannot be read the search runs on classic."""
    if account.premium_features is None:
        try:
            account.premium_features = unipile.premium_features(credentials(account))
        except (ProviderError, crypto.SecretUnreadable):
            return default_api(None)
        db.session.commit()
    return default_api(account.premium_features)


def _record_error(account: LinkedInAccount, message: str, *, disconnect: bool) -> None:
    account.last_error = message
    if disconnect:
        account.status = "disconnected"
    account.checked_at = account.updated_at = utcnow()


def disconnect(workspace_id: int, message: str) -> None:
    """Mark the workspace's account disconnected with the provider's message."""
    account = get_account(workspace_id)
    if account is not None:
        _record_error(account, message, disconnect=True)
        db.session.commit()


def search_locations(workspace_id: int, keywords: str, api: str = "classic"):
    """Location ids and titles matching keywords, from the parameters endpoint."""
    keywords = keywords.strip()[:100]
    if len(keywords) < 2:
        return []
    account = active_account(workspace_id)
    try:
        creds = credentials(account)
    except crypto.SecretUnreadable as exc:
        raise InvalidInput(f"{exc} Enter the API key again.") from exc
    kind = current_app.config["UNIPILE_LOCATION_TYPES"].get(api, "LOCATION")
    return unipile.parameters(creds, type=kind, keywords=keywords, api=api, limit=10)
