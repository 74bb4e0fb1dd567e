"""Invoices kept from ``invoice.*`` events: one item per Stripe invoice, its newest state."""

from __future__ import annotations

from souk.billing import keys
from souk.billing.models import Invoice
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import WriteTransaction

INVOICE_LABEL = "invoice"


def put_invoice(tx: WriteTransaction, invoice: Invoice) -> None:
    """The invoice's state, only if none is stored or the stored one is older (``orderKey``)."""
    tx.put(invoice, Invoice.pk.does_not_exist() | (Invoice.order_key < int(invoice.order_key)), label=INVOICE_LABEL)


def invoices(subscriber: str, limit: int, cursor: str | None) -> tuple[list[Invoice], str | None]:
    """One page of the subscriber's invoices, newest first (one Query) and the cursor to go on."""
    partition = keys.billing(subscriber)
    start = decode_cursor_for(cursor, "pk", partition)
    result = Invoice.query(partition, Invoice.sk.startswith(keys.INVOICE_PREFIX), scan_index_forward=False,
                           page_size=limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Invoice, result)
    return [i for i in found if isinstance(i, Invoice)], encode_cursor(last_key)
