"""Stripe Connect for localstripe: accounts, account links, transfers and transfer reversals.

localstripe (PyPI) has no Connect. ``localstripe_loopback.py`` loads this module inside
localstripe's own virtualenv and calls :func:`install` on its aiohttp app before it starts,
so the real ``stripe`` SDK calls of production (``accounts.create``, ``account_links.create``,
``transfers.create`` with an idempotency key, ``transfers.list(transfer_group=...)``,
``transfers.reversals.create``) run unchanged against it. The objects live in localstripe's
own store (ids, ``DELETE /_config/data``, list pagination, error bodies), and the events
(``account.updated``, ``transfer.created``, ``transfer.updated``, ``transfer.reversed``) go
through its ``schedule_webhook``: signed for every webhook registered under ``/_config/webhooks``,
exactly like its own payment events.

What Stripe does and this does too:

- a new Express account has ``details_submitted``, ``charges_enabled`` and ``payouts_enabled``
  false, its ``transfers`` capability ``inactive`` and ``requirements.currently_due`` filled;
- an account link's ``url`` is a page of this server: the first visit before ``expires_at``
  completes onboarding (everything enabled, requirements emptied, ``account.updated``) and
  redirects to ``return_url``; a used or expired link redirects to ``refresh_url``;
- a transfer to an account whose ``transfers`` capability is not active is a 400
  ``invalid_request_error``; ``Idempotency-Key`` on every POST: the same key with the same
  parameters replays the first response (``Idempotent-Replayed: true``), with other
  parameters or on another endpoint it is a 400 ``idempotency_error``; keys expire after 24 h;
- reversals default to the amount not reversed yet, never exceed it, and update the
  transfer's ``amount_reversed`` and ``reversed``; a reversal the destination account's
  balance cannot cover (see the ``balance`` hook) is a 400 ``invalid_request_error`` with
  code ``balance_insufficient``, and reverses nothing.

Dev hooks, not in Stripe's API (authenticated with any ``sk_test_`` key like the rest):

- ``POST /connect/accounts/{id}/restrict`` (``reason``, optional): the account turns
  restricted, as when Stripe needs more information (``account.updated``); a new
  onboarding link makes it active again;
- ``POST /connect/transfers/{id}/fail``: Stripe takes the transfer back, fully reversed
  (``transfer.reversed``), the way a failed or clawed-back transfer reaches the platform;
- ``POST /connect/accounts/{id}/balance`` (``available``: minor units, or empty to lift it):
  what the account's balance can still give back; each reversal of a transfer to it takes
  from it, and one larger than it is refused (``balance_insufficient``). Unset (the
  default), the account covers any reversal;
- ``DELETE /connect/idempotency_keys``: forget every idempotency key, what 24 hours do;
- ``DELETE /_config/webhooks/{id}``: stop delivering to a webhook registered before.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import DeletedObject, Event, List, StripeObject, random_id, store, try_convert_to_int
from localstripe.server import get_post_data, json_response, unflatten_data
from localstripe.webhooks import _webhooks, schedule_webhook

IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60
ACCOUNT_LINK_TTL_SECONDS = 300
ONBOARDING_PATH = "/connect/onboarding/"

# What Stripe asks a new Express account with the transfers capability for.
ONBOARDING_REQUIREMENTS = ["business_profile.mcc", "business_profile.url", "business_type", "external_account",
                           "representative.first_name", "representative.last_name", "tos_acceptance.date",
                           "tos_acceptance.ip"]  # fmt: skip
DEFAULT_CURRENCIES = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "NZ": "nzd", "JP": "jpy", "CH": "chf",
                      "SE": "sek", "NO": "nok", "DK": "dkk", "PL": "pln", "SG": "sgd", "HK": "hkd", "MX": "mxn",
                      "BR": "brl", "IN": "inr", "AE": "aed"}  # fmt: skip
EURO_COUNTRIES = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL",
                  "PT", "SI", "SK"}  # fmt: skip

_sequence = itertools.count()  # creation order: `created` is in whole seconds
_idempotency_locks: dict[str, asyncio.Lock] = {}


# ---------------------------------------------------------------- errors, in Stripe's shape


class IdempotencyError(UserError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)
        self.body["error"]["type"] = "idempotency_error"


def _invalid(message: str, *, param: str | None = None, code: str | None = None, status: int = 400) -> UserError:
    contents = {key: value for key, value in (("param", param), ("code", code)) if value is not None}
    return UserError(status, message, contents)


def _check_params(data: dict[str, Any], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise _invalid(f"Received unknown parameter: {key}", param=key, code="parameter_unknown")


def _required(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    if value is None or value == "":
        raise _invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return value


def _string(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = _required(data, name) if required else data.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid(f"Invalid string: {value!r}", param=name, code="parameter_invalid_string")
    return value


def _positive_int(data: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    value = _required(data, name) if required else data.get(name)
    if value is None:
        return None
    number = try_convert_to_int(value)
    if not isinstance(number, int) or isinstance(number, bool):
        raise _invalid(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")
    if number < 1:
        raise _invalid("This value must be greater than or equal to 1.", param=name, code="parameter_invalid_integer")
    return number


def _metadata(value: Any, current: dict[str, str] | None = None) -> dict[str, str]:
    """Stripe's metadata update: keys merge, an empty value removes its key, ``metadata=""`` clears all."""
    result = dict(current or {})
    if value is None:
        return result
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid("Invalid hash", param="metadata", code="parameter_invalid_empty")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _invalid(f"Invalid metadata value for {key}", param=f"metadata[{key}]")
        if len(key) > 40 or len(item) > 500:
            raise _invalid("Metadata keys are at most 40 characters, values at most 500.", param=f"metadata[{key}]")
        if item == "":
            result.pop(key, None)
        else:
            result[key] = item
    if len(result) > 50:
        raise _invalid("Metadata can have at most 50 keys.", param="metadata")
    return result


def _url(data: dict[str, Any], name: str) -> str:
    value = _string(data, name, required=True)
    if not value or not re.match(r"^https?://[^\s/]+", value):
        raise _invalid("Not a valid URL", param=name, code="url_invalid")
    return value


def _no_such(what: str, object_id: str, *, param: str = "id", status: int = 404) -> UserError:
    return _invalid(f"No such {what}: '{object_id}'", param=param, code="resource_missing", status=status)


def _newest_first(objects: list[Any]) -> list[Any]:
    return sorted(objects, key=lambda obj: (obj.created, obj._sequence), reverse=True)


def _list(url: str, objects: list[Any], limit: Any, starting_after: Any) -> List:
    page = List(url, limit=limit, starting_after=starting_after)
    page._list = _newest_first(objects)
    if starting_after is not None and not any(obj.id == starting_after for obj in page._list):
        raise _invalid(f"No such object: '{starting_after}'", param="starting_after", code="resource_missing")
    return page


class ConnectObject:
    """The Connect objects' shared behaviour: Stripe's 404, creation order, exports that events can't alias.

    A mixin: each class also derives from ``StripeObject`` directly, where localstripe's ``expand``
    looks for the class of an id (``StripeObject.__subclasses__()``).
    """

    _stripe_name = "object"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id)  # type: ignore[call-arg]  # StripeObject's, next in the MRO
        self._sequence = next(_sequence)

    @classmethod
    def _api_retrieve(cls, id: str) -> Any:
        obj = store.get(f"{cls.object}:{id}")
        if obj is None:
            raise _no_such(cls._stripe_name, id)
        return obj

    def _export(self, expand: Any = None) -> dict[str, Any]:
        # Deep: an event keeps the object as it was when the event happened.
        return copy.deepcopy(super()._export(expand=expand))  # type: ignore[misc]

    @classmethod
    def _all(cls) -> list[Any]:
        return [value for key, value in store.items() if key.startswith(cls.object + ":")]


# ---------------------------------------------------------------- accounts


class Account(ConnectObject, StripeObject):
    object = "account"
    _id_prefix = "acct_"
    _stripe_name = "account"

    def __init__(self, **data: Any) -> None:
        _check_params(data, {"type", "country", "email", "capabilities", "metadata", "business_type",
                             "business_profile", "default_currency"})  # fmt: skip
        account_type = _string(data, "type", required=True)
        if account_type not in ("express", "standard", "custom"):
            raise _invalid(f"Invalid type: must be one of express, standard, or custom ({account_type!r})",
                           param="type", code="parameter_invalid_string")  # fmt: skip
        country = (_string(data, "country") or "US").upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise _invalid(f"Country '{country}' is unknown.", param="country", code="country_unsupported")
        email = _string(data, "email")
        capabilities = data.get("capabilities") or {}
        if not isinstance(capabilities, dict):
            raise _invalid("Invalid hash", param="capabilities")
        requested: dict[str, str] = {}
        for name, options in capabilities.items():
            if not re.fullmatch(r"[a-z_]+", name) or not isinstance(options, dict) or set(options) != {"requested"}:
                raise _invalid(f"Invalid capability: {name}", param=f"capabilities[{name}]")
            if str(options["requested"]).lower() == "true":
                requested[name] = "inactive"
        if account_type == "custom" and not requested:
            raise _invalid("You must request at least one capability for a custom account.", param="capabilities")
        business_profile = data.get("business_profile") or {}
        if not isinstance(business_profile, dict):
            raise _invalid("Invalid hash", param="business_profile")
        metadata = _metadata(data.get("metadata"))
        default_currency = _string(data, "default_currency")

        # All exceptions must be raised before this point (the store keeps what __init__ saves).
        super().__init__(id="acct_1" + random_id(15))
        self.type = account_type
        self.country = country
        self.email = email
        self.business_type = _string(data, "business_type")
        self.business_profile = {"mcc": None, "name": None, "product_description": None,
                                 "support_email": None, "support_phone": None, "support_url": None, "url": None,
                                 **business_profile}  # fmt: skip
        self.capabilities = requested
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.default_currency = (default_currency or DEFAULT_CURRENCIES.get(country)
                                 or ("eur" if country in EURO_COUNTRIES else "usd"))  # fmt: skip
        self.metadata = metadata
        self.requirements = _requirements(ONBOARDING_REQUIREMENTS, "requirements.past_due")
        self.future_requirements = _requirements([], None)
        self.settings = {"payouts": {"debit_negative_balances": True, "statement_descriptor": None,
                                     "schedule": {"delay_days": 2, "interval": "daily"}}}  # fmt: skip
        self.tos_acceptance = {"date": None, "ip": None, "user_agent": None}
        self.external_accounts = {"object": "list", "data": [], "has_more": False, "total_count": 0,
                                  "url": f"/v1/accounts/{self.id}/external_accounts"}  # fmt: skip
        self._balance_available: int | None = None  # the balance hook's limit on reversals; None: unlimited

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Account:
        account = cls._api_retrieve(id)
        _check_params(data, {"metadata", "email", "business_profile", "business_type"})
        before = account._export()
        if "metadata" in data:
            account.metadata = _metadata(data["metadata"], account.metadata)
        if "email" in data:
            account.email = _string(data, "email") or None
        if "business_type" in data:
            account.business_type = _string(data, "business_type") or None
        if "business_profile" in data:
            if not isinstance(data["business_profile"], dict):
                raise _invalid("Invalid hash", param="business_profile")
            account.business_profile = {**account.business_profile, **data["business_profile"]}
        account._updated(before)
        return account

    @classmethod
    def _api_delete(cls, id: str) -> DeletedObject:
        cls._api_retrieve(id)
        del store[f"{cls.object}:{id}"]
        return DeletedObject(id, cls.object)

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> List:
        _check_params(kwargs, set())
        return _list(url, cls._all(), limit, starting_after)

    def _onboard(self) -> None:
        """What a seller finishing Stripe's onboarding form does to the account."""
        before = self._export()
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = {name: "active" for name in self.capabilities} or {"transfers": "active"}
        self.requirements = _requirements([], None)
        self.tos_acceptance = {"date": int(time.time()), "ip": "127.0.0.1", "user_agent": "localstripe"}
        self._updated(before)

    def _restrict(self, reason: str) -> None:
        """What Stripe does when it needs more information: payouts and transfers stop."""
        before = self._export()
        self.charges_enabled = False
        self.payouts_enabled = False
        self.capabilities = {name: "inactive" for name in self.capabilities} or {"transfers": "inactive"}
        self.requirements = _requirements(["external_account"], reason)
        self._updated(before)

    def _updated(self, before: dict[str, Any]) -> None:
        previous = _changes(before, self._export())
        if previous:
            _emit("account.updated", self, previous_attributes=previous, account=self.id)


def _requirements(due: list[str], disabled_reason: str | None) -> dict[str, Any]:
    return {"alternatives": [], "current_deadline": None, "currently_due": list(due),
            "disabled_reason": disabled_reason, "errors": [], "eventually_due": list(due), "past_due": list(due),
            "pending_verification": []}  # fmt: skip


def _transfers_active(account: Account) -> bool:
    return account.capabilities.get("transfers") == "active" or (
        account.type == "standard" and account.details_submitted and account.charges_enabled
    )


# ---------------------------------------------------------------- account links


def _create_account_link(origin: str, data: dict[str, Any]) -> dict[str, Any]:
    _check_params(data, {"account", "refresh_url", "return_url", "type", "collect", "collection_options"})
    account_id = _string(data, "account", required=True)
    link_type = _string(data, "type", required=True)
    if link_type not in ("account_onboarding", "account_update"):
        raise _invalid(f"Invalid type: must be one of account_onboarding or account_update ({link_type!r})",
                       param="type", code="parameter_invalid_string")  # fmt: skip
    account = store.get(f"account:{account_id}")
    if account is None:
        raise _no_such("account", account_id or "", param="account", status=400)
    if link_type == "account_update" and account.type != "custom":
        raise _invalid(f"You cannot create `account_update` type Account Links for {account.type} accounts; "
                       "use `account_onboarding` instead.", param="type")  # fmt: skip
    refresh_url, return_url = _url(data, "refresh_url"), _url(data, "return_url")
    token = secrets.token_urlsafe(18)
    created = int(time.time())
    link = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": link_type,
            "created": created, "expires_at": created + ACCOUNT_LINK_TTL_SECONDS, "used": False}  # fmt: skip
    store[f"account_link:{token}"] = link
    url = f"{origin}{ONBOARDING_PATH}{account_id}?{urlencode({'link': token})}"
    return {"object": "account_link", "created": created, "expires_at": link["expires_at"], "url": url}


async def onboarding_page(request: web.Request) -> web.StreamResponse:
    """The page an account link points at: a visit is a completed onboarding (browser: no API key)."""
    account_id = request.match_info["account"]
    link = store.get(f"account_link:{request.query.get('link', '')}")
    if link is None or link["account"] != account_id:
        return web.Response(status=404, text="This account link does not exist.\n")
    if link["used"] or time.time() >= link["expires_at"]:
        raise web.HTTPFound(link["refresh_url"])
    store[f"account_link:{request.query['link']}"] = {**link, "used": True}
    account = store.get(f"account:{account_id}")
    if account is None:
        return web.Response(status=404, text="This account no longer exists.\n")
    account._onboard()
    raise web.HTTPFound(link["return_url"])


# ---------------------------------------------------------------- transfers and reversals


class Transfer(ConnectObject, StripeObject):
    object = "transfer"
    _id_prefix = "tr_"
    _stripe_name = "transfer"

    def __init__(self, **data: Any) -> None:
        _check_params(data, {"amount", "currency", "destination", "transfer_group", "metadata", "description",
                             "source_transaction", "source_type"})  # fmt: skip
        amount = _positive_int(data, "amount", required=True)
        currency = (_string(data, "currency", required=True) or "").lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _invalid(f"Invalid currency: {currency}", param="currency", code="parameter_invalid_string")
        destination = _string(data, "destination", required=True) or ""
        account = store.get(f"account:{destination}")
        if account is None:
            raise _no_such("destination", destination, param="destination", status=400)
        if not _transfers_active(account):
            raise _invalid("Your destination account needs to have at least one of the following capabilities "
                           "enabled: transfers, crypto_transfers, legacy_payments", param="destination",
                           code="insufficient_capabilities_for_transfer")  # fmt: skip
        transfer_group = _string(data, "transfer_group")
        description = _string(data, "description")
        source_transaction = _string(data, "source_transaction")
        metadata = _metadata(data.get("metadata"))

        # All exceptions must be raised before this point.
        super().__init__(id="tr_1" + random_id(23))
        self.amount = amount
        self.balance_transaction = "txn_1" + random_id(23)
        self.currency = currency
        self.description = description
        self.destination = destination
        self.destination_payment = "py_1" + random_id(23)
        self.metadata = metadata
        self.source_transaction = source_transaction
        self.source_type = _string(data, "source_type") or "card"
        self.transfer_group = transfer_group
        _emit("transfer.created", self)

    @property
    def amount_reversed(self) -> int:
        return sum(reversal.amount for reversal in self._reversals())

    @property
    def reversed(self) -> bool:
        return self.amount_reversed >= self.amount

    @property
    def reversals(self) -> List:
        return _list(f"/v1/transfers/{self.id}/reversals", self._reversals(), None, None)

    def _reversals(self) -> list[TransferReversal]:
        return [reversal for reversal in TransferReversal._all() if reversal.transfer == self.id]

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Transfer:
        transfer = cls._api_retrieve(id)
        _check_params(data, {"metadata", "description"})
        before = transfer._export()
        if "metadata" in data:
            transfer.metadata = _metadata(data["metadata"], transfer.metadata)
        if "description" in data:
            transfer.description = _string(data, "description") or None
        previous = _changes(before, transfer._export())
        if previous:
            _emit("transfer.updated", transfer, previous_attributes=previous)
        return transfer

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> List:
        _check_params(kwargs, {"transfer_group", "destination"})
        transfers = cls._all()
        for name in ("transfer_group", "destination"):
            if kwargs.get(name) is not None:
                transfers = [transfer for transfer in transfers if getattr(transfer, name) == kwargs[name]]
        return _list(url, transfers, limit, starting_after)


class TransferReversal(ConnectObject, StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"
    _stripe_name = "transfer reversal"

    def __init__(self, transfer: Transfer, amount: int, metadata: dict[str, str], description: str | None) -> None:
        super().__init__(id="trr_1" + random_id(23))
        self.amount = amount
        self.balance_transaction = "txn_1" + random_id(23)
        self.currency = transfer.currency
        self.description = description
        self.destination_payment_refund = "pyr_1" + random_id(23)
        self.metadata = metadata
        self.source_refund = None
        self.transfer = transfer.id

    @classmethod
    def _reverse(cls, transfer_id: str, data: dict[str, Any], *, covered: bool = False) -> TransferReversal:
        """A reversal of ``amount`` (default: what is left), taken from the destination's balance unless
        ``covered`` (Stripe taking a failed transfer back)."""
        transfer = Transfer._api_retrieve(transfer_id)
        _check_params(data, {"amount", "metadata", "description", "refund_application_fee"})
        remaining = transfer.amount - transfer.amount_reversed
        if remaining <= 0:
            raise _invalid(f"Transfer {transfer.id} has already been fully reversed.", param="amount")
        amount = _positive_int(data, "amount") or remaining
        if amount > remaining:
            raise _invalid(f"You cannot reverse more than the amount remaining on the transfer ({remaining}).",
                           param="amount")  # fmt: skip
        metadata, description = _metadata(data.get("metadata")), _string(data, "description")
        account = store.get(f"account:{transfer.destination}")
        limit = None if covered or account is None else account._balance_available
        if limit is not None and amount > limit:
            raise _invalid(f"Insufficient funds in the destination account {transfer.destination} to reverse "
                           f"{amount} of this transfer.", code="balance_insufficient")  # fmt: skip
        if limit is not None:
            account._balance_available = limit - amount
        reversal = cls(transfer, amount, metadata, description)
        _emit("transfer.reversed", transfer)
        return reversal


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """An event's ``previous_attributes``: the old values of what changed, nested hashes key by key (new keys: null)."""
    previous: dict[str, Any] = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        previous[key] = _changes(old, new) if isinstance(old, dict) and isinstance(new, dict) else old
    return previous


def _emit(event_type: str, obj: StripeObject, *, previous_attributes: dict[str, Any] | None = None,
          account: str | None = None) -> None:  # fmt: skip
    """localstripe's own event path: stored (GET /v1/events), then signed and sent to every webhook."""
    event = Event(event_type, obj)
    if previous_attributes is not None:
        event.data["previous_attributes"] = previous_attributes
    if account is not None:
        event.account = account  # a connected account's event names it, as on Stripe
    schedule_webhook(event)


# ---------------------------------------------------------------- HTTP


def idempotent(handler: Any) -> Any:
    """Stripe's Idempotency-Key on a POST: replay the first success, refuse a key reused for something else."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return await handler(request)
        if len(key) > 255:
            raise _invalid("Idempotency keys are at most 255 characters long.")
        lock = _idempotency_locks.setdefault(key, asyncio.Lock())
        async with lock:  # a concurrent twin waits, then replays
            params = json.dumps(dict(await get_post_data(request) or {}), sort_keys=True)
            saved = store.get(f"idempotency_key:{key}")
            if saved is not None and time.time() - saved["created"] < IDEMPOTENCY_TTL_SECONDS:
                if (saved["method"], saved["path"]) != (request.method, request.path):
                    raise IdempotencyError(
                        "Keys for idempotent requests can only be used for the same endpoint they were first "
                        f"used for ('{saved['method']} {saved['path']}'). Try using a key other than '{key}' "
                        "if you meant to execute a different request."
                    )
                if saved["params"] != params:
                    raise IdempotencyError(
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request."
                    )
                return web.Response(body=saved["body"], status=saved["status"], content_type="application/json",
                                    headers={"Idempotent-Replayed": "true", "Idempotency-Key": key})  # fmt: skip
            response = await handler(request)
            if isinstance(response, web.Response) and response.status < 400 and isinstance(response.body, bytes):
                store[f"idempotency_key:{key}"] = {"created": time.time(), "method": request.method,
                                                   "path": request.path, "params": params,
                                                   "status": response.status, "body": response.body}  # fmt: skip
            response.headers["Idempotency-Key"] = key
            return response

    return wrapped


async def _data(request: web.Request) -> tuple[dict[str, Any], Any]:
    data = dict(await get_post_data(request) or {})
    return data, data.pop("expand", None)


def _query(request: web.Request) -> tuple[dict[str, Any], Any]:
    data = unflatten_data(request.query)
    return data, data.pop("expand", None)


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _routes() -> list[tuple[str, str, Any]]:
    async def create_account(request: web.Request) -> web.Response:
        data, expand = await _data(request)
        return json_response(Account(**data)._export(expand=expand))

    def retrieve(cls: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            _, expand = _query(request)
            return json_response(cls._api_retrieve(request.match_info["id"])._export(expand=expand))

        return handler

    def update(cls: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            data, expand = await _data(request)
            return json_response(cls._api_update(request.match_info["id"], **data)._export(expand=expand))

        return handler

    def list_all(cls: Any, url: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            data, expand = _query(request)
            return json_response(cls._api_list_all(url, **data)._export(expand=expand))

        return handler

    async def delete_account(request: web.Request) -> web.Response:
        return json_response(Account._api_delete(request.match_info["id"])._export())

    async def create_account_link(request: web.Request) -> web.Response:
        data, _ = await _data(request)
        return json_response(_create_account_link(_origin(request), data))

    async def create_transfer(request: web.Request) -> web.Response:
        data, expand = await _data(request)
        return json_response(Transfer(**data)._export(expand=expand))

    async def create_reversal(request: web.Request) -> web.Response:
        data, expand = await _data(request)
        return json_response(TransferReversal._reverse(request.match_info["id"], data)._export(expand=expand))

    async def list_reversals(request: web.Request) -> web.Response:
        transfer = Transfer._api_retrieve(request.match_info["id"])
        data, expand = _query(request)
        limit, starting_after = data.pop("limit", None), data.pop("starting_after", None)
        _check_params(data, set())
        page = _list(f"/v1/transfers/{transfer.id}/reversals", transfer._reversals(), limit, starting_after)
        return json_response(page._export(expand=expand))

    async def retrieve_reversal(request: web.Request) -> web.Response:
        reversal = TransferReversal._api_retrieve(request.match_info["reversal"])
        if reversal.transfer != request.match_info["id"]:
            raise _no_such("transfer reversal", request.match_info["reversal"])
        return json_response(reversal._export())

    async def restrict_account(request: web.Request) -> web.Response:
        data, _ = await _data(request)
        _check_params(data, {"reason"})
        account = Account._api_retrieve(request.match_info["id"])
        account._restrict(_string(data, "reason") or "requirements.past_due")
        return json_response(account._export())

    async def set_balance(request: web.Request) -> web.Response:
        data, _ = await _data(request)
        _check_params(data, {"available"})
        account = Account._api_retrieve(request.match_info["id"])
        value = data.get("available")
        if value is None or value == "":
            account._balance_available = None
        else:
            number = try_convert_to_int(value)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise _invalid(f"Invalid integer: {value}", param="available", code="parameter_invalid_integer")
            account._balance_available = number
        return json_response({"account": account.id, "available": account._balance_available})

    async def fail_transfer(request: web.Request) -> web.Response:
        transfer = Transfer._api_retrieve(request.match_info["id"])
        TransferReversal._reverse(transfer.id, {"metadata": {"localstripe": "transfer_failed"}}, covered=True)
        return json_response(transfer._export())

    async def forget_idempotency_keys(request: web.Request) -> web.Response:
        keys = [key for key in store if isinstance(key, str) and key.startswith("idempotency_key:")]
        for key in keys:
            del store[key]
        return json_response({"deleted": len(keys)})

    async def unregister_webhook(request: web.Request) -> web.Response:
        _webhooks.pop(request.match_info["id"], None)
        return web.Response()

    return [
        ("POST", "/v1/accounts", idempotent(create_account)),
        ("GET", "/v1/accounts", list_all(Account, "/v1/accounts")),
        ("GET", "/v1/accounts/{id}", retrieve(Account)),
        ("POST", "/v1/accounts/{id}", idempotent(update(Account))),
        ("DELETE", "/v1/accounts/{id}", delete_account),
        ("POST", "/v1/account_links", idempotent(create_account_link)),
        ("POST", "/v1/transfers", idempotent(create_transfer)),
        ("GET", "/v1/transfers", list_all(Transfer, "/v1/transfers")),
        ("GET", "/v1/transfers/{id}", retrieve(Transfer)),
        ("POST", "/v1/transfers/{id}", idempotent(update(Transfer))),
        ("POST", "/v1/transfers/{id}/reversals", idempotent(create_reversal)),
        ("GET", "/v1/transfers/{id}/reversals", list_reversals),
        ("GET", "/v1/transfers/{id}/reversals/{reversal}", retrieve_reversal),
        ("GET", ONBOARDING_PATH + "{account}", onboarding_page),
        ("POST", "/connect/accounts/{id}/restrict", restrict_account),
        ("POST", "/connect/accounts/{id}/balance", set_balance),
        ("POST", "/connect/transfers/{id}/fail", fail_transfer),
        ("DELETE", "/connect/idempotency_keys", forget_idempotency_keys),
        ("DELETE", "/_config/webhooks/{id}", unregister_webhook),
    ]


@web.middleware
async def browser_pages(request: web.Request, handler: Any) -> web.StreamResponse:
    """The onboarding page is opened by a browser, with no API key: it skips localstripe's auth check."""
    if request.method == "GET" and request.path.startswith(ONBOARDING_PATH):
        try:
            return await request.match_info.handler(request)
        except UserError as error:
            return error.to_response()
    return await handler(request)


def install(app: web.Application) -> None:
    """Add Connect to localstripe's app; call before the app starts (its middlewares freeze then)."""
    app.middlewares.insert(0, browser_pages)
    for method, path, handler in _routes():
        app.router.add_route(method, path, handler)
