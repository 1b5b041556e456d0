"""Signing in and out: the key form (double-submit token), the cookie's flags, where it sends you, sign-out."""

from __future__ import annotations

from collections.abc import Callable

from rungway.web.signin import safe_next
from tests.servers import Gateway
from tests.web.support import UiClient, csrf_of


def test_the_session_cookie_is_httponly_samesite_and_scoped_to_ui(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    answer = ui_client(gateway).sign_in("admin-secret")
    cookie = answer.headers["set-cookie"].lower()
    assert "rungway_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/ui" in cookie
    assert "secure" not in cookie  # plain http on loopback; behind https it is Secure (next test)


def test_the_session_cookie_is_secure_behind_https(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    form = client.get("/ui/signin", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in form.headers["set-cookie"].lower()

    token = csrf_of(form.text)  # the client keeps a Secure cookie off plain http, so it is sent by hand
    answer = client.http.post(
        "/ui/signin",
        data={"csrf_token": token, "key": "admin-secret", "next": "/ui"},
        headers={"X-Forwarded-Proto": "https", "Cookie": f"rungway_signin_csrf={token}"},
    )
    assert answer.status_code == 303
    assert "; secure" in answer.headers["set-cookie"].lower()


def test_a_wrong_key_is_refused_with_the_form_again(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    answer = ui_client(gateway).sign_in("rw-not-a-key")
    assert answer.status_code == 401
    assert "not valid" in answer.text and 'name="key"' in answer.text


def test_sign_in_without_the_forms_token_is_refused(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    answer = client.http.post("/ui/signin", data={"key": "admin-secret", "next": "/ui"})
    assert answer.status_code == 403
    assert "rungway_session" not in answer.headers.get("set-cookie", "")


def test_sign_in_never_redirects_off_the_dashboard(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:

    for target in ("https://evil.example/", "//evil.example/ui", "/ui/../api/keys", "/api/keys"):
        client = ui_client(gateway)
        form = client.get("/ui/signin")
        answer = client.http.post(
            "/ui/signin", data={"csrf_token": csrf_of(form.text), "key": "admin-secret", "next": target}
        )
        assert answer.headers["location"] == "/ui", target


def test_signing_out_needs_the_token_and_ends_the_session(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    assert client.post("/ui/signout", csrf="wrong").status_code == 403
    assert client.get("/ui/requests").status_code == 200
    assert client.post("/ui/signout").headers["location"] == "/ui/signin"
    assert client.get("/ui/requests").status_code == 303


def test_safe_next_keeps_dashboard_paths_only() -> None:
    assert safe_next("/ui/traces?user=ana") == "/ui/traces?user=ana"
    assert safe_next("/ui") == "/ui"
    for bad in (
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/ui//evil",
        "/ui/../api",
        "/uix",
        "/api/keys",
        "/ui\\evil",
        "/ui/" + "a" * 2000,
    ):
        assert safe_next(bad) == "/ui", bad
