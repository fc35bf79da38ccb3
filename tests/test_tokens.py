import base64
import hashlib
import hmac
import json

import pytest

from server.tokens import InviteClaims, TokenError, issue_token, verify_token

SECRET = b"signing-secret"
NOW = 1_900_000_000.0
CLAIMS = InviteClaims(session_id="abc123", role="mentoree", expires_at=NOW + 3600)


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed(payload: str) -> str:
    """A token for ``payload`` signed the way the server signs, with the right secret."""
    signature = hmac.new(SECRET, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{encode(signature)}"


def test_a_token_verifies_to_the_claims_it_was_issued_with():
    token = issue_token(SECRET, CLAIMS)

    assert verify_token(SECRET, token, now=NOW) == CLAIMS


def test_the_test_signer_signs_like_the_server():
    payload = issue_token(SECRET, CLAIMS).partition(".")[0]

    assert signed(payload) == issue_token(SECRET, CLAIMS)


def test_a_token_is_safe_to_put_in_a_url_query():
    token = issue_token(SECRET, CLAIMS)

    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_a_token_with_a_changed_payload_is_refused_as_forged():
    payload, _, signature = issue_token(SECRET, CLAIMS).partition(".")
    other = encode(json.dumps({"s": "abc123", "r": "mentor", "e": int(NOW + 3600)}).encode())
    assert other != payload

    with pytest.raises(TokenError) as refused:
        verify_token(SECRET, f"{other}.{signature}", now=NOW)

    assert refused.value.reason == "forged"


def test_a_token_with_a_changed_signature_is_refused_as_forged():
    payload, _, signature = issue_token(SECRET, CLAIMS).partition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    with pytest.raises(TokenError) as refused:
        verify_token(SECRET, f"{payload}.{flipped}", now=NOW)

    assert refused.value.reason == "forged"


def test_a_token_signed_with_another_secret_is_refused():
    token = issue_token(b"someone-elses-secret", CLAIMS)

    with pytest.raises(TokenError) as refused:
        verify_token(SECRET, token, now=NOW)

    assert refused.value.reason == "forged"


def test_a_token_past_its_expiry_is_refused_as_expired():
    token = issue_token(SECRET, CLAIMS)

    with pytest.raises(TokenError) as refused:
        verify_token(SECRET, token, now=CLAIMS.expires_at + 1)

    assert refused.value.reason == "expired"
    assert "expired" in str(refused.value)


def test_a_token_expires_at_the_exact_second_of_its_expiry():
    token = issue_token(SECRET, CLAIMS)

    with pytest.raises(TokenError):
        verify_token(SECRET, token, now=CLAIMS.expires_at)
    assert verify_token(SECRET, token, now=CLAIMS.expires_at - 1) == CLAIMS


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "..",
        "no-dot-at-all",
        "abc.def",
        "abc.def.ghi",
        "é.é",
        "payload.sïgnature",
        "\x00.\x00",
        "=" * 50,
        "a" * 5000,
    ],
)
def test_garbage_is_refused_with_a_token_error(garbage):
    with pytest.raises(TokenError) as refused:
        verify_token(SECRET, garbage, now=NOW)

    assert refused.value.reason in {"malformed", "forged"}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2, 3]",
        b'{"s": "abc123", "r": "mentor"}',
        b'{"s": "abc123", "r": "mpm", "e": 1900003600}',
        b'{"s": 42, "r": "mentor", "e": 1900003600}',
        b'{"s": "abc123", "r": "mentor", "e": "soon"}',
        b'{"s": "abc123", "r": "mentor", "e": null}',
        b"\xff\xfe",
    ],
)
def test_a_correctly_signed_payload_with_bad_claims_is_refused_as_malformed(body):
    # Only the holder of the secret could make these; the server must still not crash.
    with pytest.raises(TokenError) as refused:
        verify_token(SECRET, signed(encode(body)), now=NOW)

    assert refused.value.reason == "malformed"
