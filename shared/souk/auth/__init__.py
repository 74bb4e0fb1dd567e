"""Who is calling: tokens, principals, roles and ownership checks."""
