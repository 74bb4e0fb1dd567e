"""Privacy (GDPR): the account export and the account erasure, over every domain's ``privacy`` hook."""
