"""The secrets detector: provider formats, placeholders refused, entropy skipping hex ids."""

from __future__ import annotations

from rungway.guardrails.detectors.secrets import shannon_entropy
from rungway.guardrails.public import detector


def rules(text: str) -> list[tuple[str, str]]:
    return [(f.rule, text[f.start : f.end]) for f in detector("secrets").scan(text)]


def test_provider_keys_are_found_with_their_rule() -> None:
    assert rules("id AKIAIOSFODNN7EXAMPLE") == [("secrets.aws_access_key", "AKIAIOSFODNN7EXAMPLE")]
    assert rules("token ghp_16C7e42F292c6912E7710c838347Ae178B4a") == [
        ("secrets.github_token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a")
    ]


def test_a_url_password_is_reported_alone_and_placeholders_are_not() -> None:
    assert rules("postgres://app:s3cr3tP4ss@db/x") == [("secrets.url_password", "s3cr3tP4ss")]
    assert rules("postgres://app:${DB_PASSWORD}@db/x") == []


def test_hex_digests_and_uuids_are_not_high_entropy_secrets() -> None:
    assert rules("commit 9fceb02d0ae598e95dc970b74767f19372d61af8") == []
    assert rules("id 123e4567-e89b-12d3-a456-426614174000") == []
    assert rules("api_token: Zq8LmN3pR7tV1wX5yB9cD2fG6hJ4kS0a") == [
        ("secrets.high_entropy", "Zq8LmN3pR7tV1wX5yB9cD2fG6hJ4kS0a")
    ]
    assert shannon_entropy("aaaa") == 0.0


def test_a_private_key_block_is_reported_whole() -> None:
    text = "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\nbye"
    assert rules(text) == [("secrets.private_key", text[5:-4])]


def test_long_adversarial_input_finishes() -> None:
    text = "sk-" * 10_000 + "a" * 30_000 + " postgres://" * 5_000 + "eyJ" * 10_000 + "-----BEGIN PRIVATE KEY-----"
    assert isinstance(rules(text), list)
