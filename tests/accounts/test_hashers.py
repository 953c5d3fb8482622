"""The production password hasher: Argon2id with OWASP's parameters, PBKDF2 hashes upgraded at login."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings

from tests.factories import UserFactory

PRODUCTION_HASHERS = [
    "twinning.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_new_passwords_use_argon2id_with_owasp_parameters():
    encoded = make_password("Twinning@2024")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("Twinning@2024", encoded)
    assert not check_password("Twinning@2025", encoded)


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_pbkdf2_hash_is_rehashed_with_argon2id_at_login(client):
    user = UserFactory()
    user.password = make_password("Twinning@2024", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert client.login(username=user.username, password="Twinning@2024")
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("Twinning@2024")
