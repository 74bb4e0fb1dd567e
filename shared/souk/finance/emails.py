"""Finance's messages: a chargeback opened (to the store owner and the admins), a bank payout refused.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="dispute_opened",
        subject="A payment to $store_name is disputed: $amount held",
        text=(
            "Hi,\n\nA customer disputed a card payment with their bank (dispute $dispute_id, reason: $reason).\n"
            "$amount of $store_name's earnings on order(s) $order_ids is held until the dispute closes.\n"
            "Evidence is due by $due_by. If the dispute is lost, the held amount is reversed; if it is won, "
            "it becomes available again." + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p>A customer disputed a card payment with their bank (dispute <strong>$dispute_id</strong>, "
            "reason: $reason).</p>\n"
            "<p><strong>$amount</strong> of $store_name's earnings on order(s) $order_ids is held until the "
            "dispute closes.</p>\n"
            "<p>Evidence is due by <strong>$due_by</strong>. If the dispute is lost, the held amount is "
            "reversed; if it is won, it becomes available again.</p>"
        ),
        sms="Souk: a payment to $store_name is disputed, $amount held. Evidence due by $due_by.",
    ),
    MessageTemplate(
        name="dispute_opened_admin",
        subject="Chargeback $dispute_id: $total disputed",
        text=(
            "Hi,\n\nStripe opened dispute $dispute_id (status $status, reason: $reason) on payment $payment_id: "
            "$total disputed.\nHeld per store: $stores.\nEvidence is due by $due_by." + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p>Stripe opened dispute <strong>$dispute_id</strong> (status $status, reason: $reason) on "
            "payment $payment_id: <strong>$total</strong> disputed.</p>\n"
            "<p>Held per store: $stores.</p>\n"
            "<p>Evidence is due by <strong>$due_by</strong>.</p>"
        ),
        sms="Souk: chargeback $dispute_id, $total disputed. Evidence due by $due_by.",
    ),
    MessageTemplate(
        name="bank_payout_failed",
        subject="Your bank refused a payout of $amount to $store_name",
        text=(
            "Hi,\n\nStripe could not pay $amount out to the bank account of $store_name: $reason.\n"
            "The money is safe in your Stripe balance. Update your bank details in your Stripe dashboard and "
            "Stripe pays it out again." + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p>Stripe could not pay <strong>$amount</strong> out to the bank account of $store_name: $reason.</p>\n"
            "<p>The money is safe in your Stripe balance. Update your bank details in your Stripe dashboard and "
            "Stripe pays it out again.</p>"
        ),
        sms="Souk: your bank refused a payout of $amount to $store_name. Update your bank details at Stripe.",
    ),
]
