"""Notifications: the in-app inbox of each user, their channel preferences per type, admin
broadcasts, and :func:`~souk.notifications.service.notifications.notify`, the one entry point
a domain calls to tell a user about an event.

It sits below the domains that notify (orders, dispatch, finance...) and above
:mod:`souk.notify` (the email/SMS queue), which it sends through.

How a domain notifies: after its own write commits, call
``notify(user_id, type, entity_id, version, title=..., body=..., data=..., email=Message(template,
variables), sms=Message(...))`` (``souk.notifications.service.notifications``; ``Message`` from
``souk.notifications.schemas``). The same (user, type, entity, version) is one notification
whatever how often the event is processed: one item, one email (queued before the item is
written, so a crash in between loses nothing). ``/settings`` switches channels off, the per-type
preferences refine; ``account`` emails always go. Templates stay declared in the domain's
``emails.py``. Identity's verification codes and password resets never come here: they carry
secrets, must not be stored as in-app items, and are queued directly (``account`` emails, always sent).
"""
