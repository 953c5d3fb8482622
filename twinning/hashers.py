"""Password hashing: Argon2id with the OWASP Password Storage Cheat Sheet's first configuration."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, m=19 MiB, t=2, p=1 (OWASP). Stored hashes carry their parameters, and Django's
    ``must_update`` rehashes any hash made with other parameters at the next login."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
