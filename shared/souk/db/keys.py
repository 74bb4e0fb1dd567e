"""Every key value of the single table is built here, one function per key.

Prefixes name the entity (``USER#``, ``SESSION#``...). Sort keys that order by time
start with an ISO-8601 UTC timestamp or a ULID, both of which sort as strings.
``docs/access-patterns.md`` lists each access pattern against these keys.
"""

from __future__ import annotations


def _k(*parts: str) -> str:
    return "#".join(parts)


# --- users and identity
def user(user_id: str) -> str:
    return _k("USER", user_id)


def email(address: str) -> str:
    """Uniqueness item for an email address (case-insensitive)."""
    return _k("EMAIL", address.strip().lower())


# --- rate limits
def rate_window(scope: str, subject: str) -> str:
    return _k("RATE", scope, subject)


# --- audit log
def audit_day(day: str) -> str:
    return _k("AUDIT", day)


def audit_actor(actor_id: str) -> str:
    return _k("AUDIT_ACTOR", actor_id)


def audit_resource(resource_type: str, resource_id: str) -> str:
    return _k("AUDIT_RES", resource_type, resource_id)


def audit_action(action: str) -> str:
    return _k("AUDIT_ACTION", action)


def audit_stats(day: str) -> str:
    return _k("AUDIT_STATS", day)


# --- scheduled jobs (the expiry index of souk.db.expiry, job cursors)
def expiry_bucket(hour: str) -> str:
    """gsi4 partition of the items that expire within one UTC hour (``yyyy-mm-ddThh``)."""
    return _k("EXPIRES", hour)


def expiry_sort(expires_iso: str, pk: str) -> str:
    """gsi4 sort key: the expiry instant first, so a bucket can be read up to "now"."""
    return _k(expires_iso, pk)


def job(name: str) -> str:
    return _k("JOB", name)


JOB_CURSOR = "CURSOR"


# --- identity (users, sessions, codes, api keys, addresses)
USERS_ALL = "USERS"


def users_by_role(role: str) -> str:
    return _k("USERS", role)


USERS_BY_NAME = "USERNAME"
USERS_BY_EMAIL = "USEREMAIL"
PROFILE = "PROFILE"
SETTINGS = "SETTINGS"


def created_sort(created_iso: str, entity_id: str) -> str:
    return _k("C", created_iso, entity_id)


def name_sort(name: str, entity_id: str) -> str:
    return _k(name.strip().lower(), entity_id)


def one_time_code(purpose: str) -> str:
    return _k("CODE", purpose)


def session(session_id: str) -> str:
    return _k("SESSION", session_id)


def user_sessions(user_id: str) -> str:
    return _k("USER", user_id, "SESSIONS")


def reset_token(token_hash: str) -> str:
    return _k("RESET", token_hash)


def api_key(key_hash: str) -> str:
    return _k("APIKEY", key_hash)


def user_api_keys(user_id: str) -> str:
    return _k("USER", user_id, "APIKEYS")


def address(address_id: str) -> str:
    return _k("ADDRESS", address_id)


ADDRESS_PREFIX = "ADDRESS#"
# Per-user counters kept next to the items they count (sort keys outside ADDRESS#/APIKEY#).
ADDRESS_BOOK = "ADDRESSBOOK"
API_KEY_RING = "APIKEYRING"


def oauth_state(state: str) -> str:
    return _k("OAUTH", state)


def oauth_identity(provider: str, subject: str) -> str:
    return _k("OAUTHID", provider, subject)


# --- catalog (uploads, stores, categories, products, inventory, listing and search indexes)
def upload(upload_id: str) -> str:
    return _k("UPLOAD", upload_id)


def user_uploads(user_id: str) -> str:
    return _k("USER", user_id, "UPLOADS")


def store(store_id: str) -> str:
    return _k("STORE", store_id)


def owner_stores(user_id: str) -> str:
    return _k("USER", user_id, "STORES")


def stores_by_status(status: str) -> str:
    return _k("STORES", status)


def store_geo_cell(cell: str) -> str:
    return _k("STOREGEO", cell)


def category(category_id: str) -> str:
    return _k("CATEGORY", category_id)


CATEGORIES = "CATEGORIES"


def product(product_id: str) -> str:
    return _k("PRODUCT", product_id)


def store_products(store_id: str) -> str:
    return _k("STORE", store_id, "PRODUCTS")


def variant(sku: str) -> str:
    return _k("VARIANT", sku)


VARIANT_PREFIX = "VARIANT#"


def movement(movement_id: str) -> str:
    return _k("MOVE", movement_id)


MOVEMENT_PREFIX = "MOVE#"


def low_stock(store_id: str) -> str:
    return _k("LOWSTOCK", store_id)


def listing(facet: str) -> str:
    """A product listing partition: ALL, CAT#<id>, STORE#<id> or TAG#<tag>."""
    return _k("PL", facet)


def search_term(kind: str, prefix: str) -> str:
    """A search partition: ``kind`` P (products) or S (stores), ``prefix`` a normalized word prefix."""
    return _k("SRCH", kind, prefix)


def price_sort(amount: int, entity_id: str) -> str:
    """Zero-padded minor units sort as strings: 12 digits covers 10^10 in major units."""
    return _k(f"{amount:012d}", entity_id)


def rating_sort(rating_hundredths: int, count: int, entity_id: str) -> str:
    return _k(f"{rating_hundredths:03d}", f"{count:09d}", entity_id)


# --- catalog: uploads, stores and categories (keys added by the stores/categories feature)
def geo_sort(geohash: str, store_id: str) -> str:
    """Sort key in a STOREGEO partition: the full geohash first, so ``begins_with`` narrows to a finer cell."""
    return _k(geohash, store_id)


def category_tree_sort(path: list[str]) -> str:
    """The category's ancestor ids root first: a parent sorts right before its subtree."""
    return _k(*path)


def category_slug(parent_id: str | None, slug: str) -> str:
    """Uniqueness item for a slug among the children of one parent (``ROOT`` for top level)."""
    return _k("CATSLUG", parent_id or "ROOT", slug)


# --- catalog: products, inventory, listing and search (keys added by the products feature)
LISTING_ALL = listing("ALL")


def listing_category(category_id: str) -> str:
    """Listing partition of one category: holds its products and those of every sub-category."""
    return listing(_k("CAT", category_id))


def listing_store(store_id: str) -> str:
    return listing(_k("STORE", store_id))


def listing_tag(tag: str) -> str:
    return listing(_k("TAG", tag))


def product_search(prefix: str) -> str:
    return search_term("P", prefix)


def store_search(prefix: str) -> str:
    return search_term("S", prefix)


def low_stock_sort(product_id: str, sku: str) -> str:
    return _k(product_id, sku)


def price_floor(amount: int) -> str:
    """The smallest price sort key at ``amount`` (a range's lower bound)."""
    return f"{amount:012d}"


def price_ceiling(amount: int) -> str:
    """The largest price sort key at ``amount`` (``~`` sorts after every id character)."""
    return _k(f"{amount:012d}", "~")


# --- commerce: carts, coupons, orders, payments, wallets (see docs/commerce.md)
def cart(cart_id: str) -> str:
    """A cart item (sk CART), its lines inside."""
    return _k("CART", cart_id)


CART = "CART"


def coupon(code: str) -> str:
    """Coupon codes are case-insensitive: stored upper-case."""
    return _k("COUPON", code.strip().upper())


COUPON = "COUPON"


def coupon_use(user_id: str) -> str:
    """Per-user use counter of a coupon, in the coupon's partition."""
    return _k("USE", user_id)


def coupons_by_owner(user_id: str) -> str:
    return _k("USER", user_id, "COUPONS")


COUPONS_ALL = "COUPONS"


def order(order_id: str) -> str:
    return _k("ORDER", order_id)


def customer_orders(user_id: str) -> str:
    return _k("USER", user_id, "ORDERS")


def seller_orders(owner_id: str) -> str:
    """Every order of every store of one owner (filter by store inside)."""
    return _k("USER", owner_id, "SALES")


ORDERS_ALL = "ORDERS"


def courier_orders(courier_id: str) -> str:
    return _k("USER", courier_id, "DELIVERIES")


def payment(payment_id: str) -> str:
    return _k("PAYMENT", payment_id)


def refund(refund_id: str) -> str:
    return _k("REFUND", refund_id)


REFUND_PREFIX = "REFUND#"


def user_payments(user_id: str) -> str:
    return _k("USER", user_id, "PAYMENTS")


PAYMENTS_ALL = "PAYMENTS"


def stripe_event(event_id: str) -> str:
    return _k("STRIPE_EVENT", event_id)


def wallet(user_id: str) -> str:
    """A wallet partition: the balance (sk WALLET) and its ledger entries (sk TX#<ulid>)."""
    return _k("WALLET", user_id)


WALLET = "WALLET"


def wallet_entry(entry_id: str) -> str:
    return _k("TX", entry_id)


WALLET_ENTRY_PREFIX = "TX#"


def timeline_sort(stamp: str, entity_id: str) -> str:
    """Sort key of an order/payment/entry timeline: ``souk.db.expiry.stamp(createdAt)`` then the id.

    Fixed-width UTC stamps compare as strings, so a ``from``/``to`` date filter is a key range.
    """
    return _k(stamp, entity_id)
