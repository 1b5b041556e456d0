"""Every dashboard page runs behind the guard: sign-in, roles and workload scope as /api, CSRF on POSTs."""

from __future__ import annotations

from collections.abc import Callable

from rungway.capability import load_capabilities
from rungway.domain.keys import Role
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway, write_config
from tests.web.support import PLUGIN, UiClient, changed, seed_calls


def _gateway(tmp_path, gateway_factory) -> Gateway:  # type: ignore[no-untyped-def]
    config = write_config(tmp_path, SIMULATOR_CONFIG.format(store_url=f"sqlite:///{tmp_path}/ui.db"))
    return Gateway(config, [*load_capabilities(), PLUGIN])


def test_a_signed_out_browser_is_sent_to_sign_in_and_back(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    answer = client.get("/ui/requests?user=ana")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/signin?next=%2Fui%2Frequests%3Fuser%3Dana"
    assert client.sign_in("admin-secret").headers["location"] == "/ui/requests"
    assert client.get("/ui/requests").status_code == 200


def test_a_viewer_cannot_reach_an_admin_page_or_action(tmp_path, ui_client: Callable[..., UiClient]) -> None:  # type: ignore[no-untyped-def]
    gateway = _gateway(tmp_path, None)
    try:
        viewer = ui_client(gateway)
        assert viewer.sign_in(gateway.create_key(role=Role.VIEWER).secret).status_code == 303
        assert "Admin only" not in viewer.get("/ui/requests").text  # not in the navigation either
        assert viewer.get("/ui/plugin/admin").status_code == 403
        assert viewer.post("/ui/plugin/danger").status_code == 403  # with its own valid CSRF token
        assert viewer.post("/ui/plugin/danger", csrf="").status_code == 403
        assert changed == []
        admin = ui_client(gateway)
        admin.sign_in("admin-secret")
        assert "Admin only" in admin.get("/ui/requests").text
        assert admin.get("/ui/plugin/admin").status_code == 200
        assert admin.post("/ui/plugin/danger", csrf="").status_code == 403
        assert admin.post("/ui/plugin/danger", csrf="forged-token").status_code == 403
        assert changed == []
        assert admin.post("/ui/plugin/danger").status_code == 200
        assert changed == ["admin key"]
    finally:
        changed.clear()
        gateway.stop()


def test_a_post_without_a_session_is_refused_not_redirected(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    assert ui_client(gateway).post("/ui/signout", csrf="").status_code == 303  # nothing to sign out of
    answer = ui_client(gateway).http.post("/ui/requests")
    assert answer.status_code in (401, 405)


def test_a_key_sees_only_its_own_workload(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    mine = gateway.create_key(workload="test", role=Role.VIEWER)
    other = gateway.create_key(workload="other")
    seed_calls(gateway, mine.secret, 2, user="mine-user")
    seed_calls(gateway, other.secret, 3, user="other-user")
    client = ui_client(gateway)
    client.sign_in(mine.secret)
    page = client.get("/ui/requests").text
    assert page.count("mine-user") == 2 and "other-user" not in page
    refused = client.get("/ui/requests?workload=other")
    assert refused.status_code == 403 and "cannot read" in refused.text
    overview = client.get("/ui").text
    assert "other-user" not in overview and 'id="workload-other"' not in overview


def test_revoking_the_key_ends_its_sessions(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    created = gateway.create_key()
    client = ui_client(gateway)
    client.sign_in(created.secret)
    assert client.get("/ui/requests").status_code == 200
    import dataclasses
    import time

    gateway.state.directory.put_key(dataclasses.replace(created.key, revoked_at=time.time() - 1))
    assert client.get("/ui/requests").status_code == 303


def test_bad_query_values_are_a_400_page_not_a_500(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    for query in ("status=abc", "since=yesterday", "limit=0", "window=2y", "user=%00x"):
        path = "/ui?" + query if query.startswith("window") else "/ui/requests?" + query
        answer = client.get(path)
        assert answer.status_code == 400, query
        assert answer.headers["content-type"].startswith("text/html")


def test_every_page_carries_the_security_headers(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    pages = [client.get(path) for path in ("/ui", "/ui/requests", "/ui/patterns")]
    for answer in [*pages, ui_client(gateway).get("/ui/signin")]:
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], answer.url
        assert headers["x-frame-options"] == "DENY"


def test_an_unknown_dashboard_path_is_an_html_404(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    anonymous = ui_client(gateway).get("/ui/no/such/page")
    assert anonymous.status_code == 404 and anonymous.headers["content-type"].startswith("text/html")
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    signed_in = client.get("/ui/nothing-here")
    assert signed_in.status_code == 404 and "Sign out" in signed_in.text  # the layout, with its navigation
    assert client.get("/ui/static/style.css").status_code == 200


def test_an_htmx_request_without_a_session_sends_the_page_to_sign_in(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    answer = ui_client(gateway).get(
        "/ui/tail", headers={"HX-Request": "true", "HX-Current-URL": f"{gateway.base_url}/ui?window=7d"}
    )
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"] == "/ui/signin?next=%2Fui%3Fwindow%3D7d"


def test_a_form_larger_than_the_server_takes_is_a_413_page_not_a_500(
    tmp_path, ui_client: Callable[..., UiClient]
) -> None:  # type: ignore[no-untyped-def]
    text = SIMULATOR_CONFIG.format(store_url=f"sqlite:///{tmp_path}/ui.db").replace(
        "  admin_key: admin-secret\n", "  admin_key: admin-secret\n  max_body_bytes: 65536\n"
    )
    gateway = Gateway(write_config(tmp_path, text), [*load_capabilities(), PLUGIN])
    try:
        admin = ui_client(gateway)
        admin.sign_in("admin-secret")
        answer = admin.post("/ui/plugin/danger", {"filler": "x" * 200_000})
        assert answer.status_code == 413
        assert "larger than this server accepts" in answer.text
        assert changed == []
    finally:
        changed.clear()
        gateway.stop()
