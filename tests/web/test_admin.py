"""The Keys and Workloads pages over plain HTTP: admins create and revoke keys (the secret shown once and
working at once through the SDK), create workloads and change their limits (binding at once); anyone else
is refused by URL and by POST, with or without a CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable

import openai
import pytest

from rungway.domain.keys import Role
from rungway.store.keys import list_keys
from rungway.store.workloads import get_workload
from tests.servers import Gateway
from tests.web.support import UiClient


def _secret(page: str) -> str:
    found = re.search(r'id="secret" type="text" readonly value="([^"]+)"', page)
    assert found is not None, "no secret on the page"
    return found.group(1)


def test_an_admin_creates_a_key_sees_its_secret_once_and_revokes_it(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    admin = ui_client(gateway)
    admin.sign_in("admin-secret")
    form = {"workload": "fresh", "name": "ci", "role": "developer", "rpm_limit": "5", "allowed_models": "gpt-4o-mini"}
    created = admin.post("/ui/keys", form)
    assert created.status_code == 201, created.text
    secret = _secret(created.text)
    assert "shown this once" in created.text and "was created with defaults" in created.text
    (key,) = list_keys(gateway.state.engine, "fresh")
    assert key.rpm_limit == 5 and key.allowed_models == ("gpt-4o-mini",) and key.name == "ci"
    listing = admin.get("/ui/keys?workload=fresh").text
    assert secret not in listing and key.prefix in listing  # never shown again
    sdk = openai.OpenAI(base_url=gateway.openai_base, api_key=secret, max_retries=0)
    sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])  # works at once
    assert admin.post(f"/ui/keys/{key.id}/revoke", csrf="").status_code == 403
    revoked = admin.post(f"/ui/keys/{key.id}/revoke")
    assert revoked.status_code == 303 and revoked.headers["Location"] == "/ui/keys?workload=fresh"
    with pytest.raises(openai.AuthenticationError):  # refused on this gateway at once
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert "revoked" in admin.get("/ui/keys?workload=fresh&include_revoked=true").text
    assert admin.post("/ui/keys/key_nope/revoke").status_code == 404


def test_key_and_workload_forms_refuse_bad_values_with_a_400(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    admin = ui_client(gateway)
    admin.sign_in("admin-secret")
    assert admin.post("/ui/keys", {"workload": ""}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "Bad Name"}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "w", "role": "root"}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "w", "rpm_limit": "0"}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "w", "rpm_limit": "9" * 30}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "w", "expires_in": "forever"}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "w", "extra": "1"}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "w", "kind": "robot"}).status_code == 400
    assert admin.post("/ui/keys", {"workload": "w", "kind": "person", "owner": "ann"}).status_code == 201
    (person,) = list_keys(gateway.state.engine, "w")
    assert person.kind.value == "person" and person.owner == "ann"
    assert admin.post("/ui/workloads", {"name": "x" * 100}).status_code == 400
    assert admin.post("/ui/workloads", {"name": "w2", "risk_tier": "extreme"}).status_code == 400
    assert admin.post("/ui/workloads/nobody", {"rpm_limit": "3"}).status_code == 404
    assert admin.get("/ui/keys?include_revoked=maybe").status_code == 400


def test_an_admin_creates_a_workload_and_changes_its_limits_which_bind_at_once(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    admin = ui_client(gateway)
    admin.sign_in("admin-secret")
    made = admin.post("/ui/workloads", {"name": "batch", "risk_tier": "regulated", "team": "data"})
    assert made.status_code == 303 and made.headers["Location"] == "/ui/workloads#workload-batch"
    workload = get_workload(gateway.state.engine, "batch")
    assert workload is not None and workload.risk_tier.value == "regulated" and workload.team == "data"
    assert admin.post("/ui/workloads", {"name": "batch"}).status_code == 409
    sdk = openai.OpenAI(base_url=gateway.openai_base, api_key=gateway.create_key("batch").secret, max_retries=0)
    changed = admin.post(
        "/ui/workloads/batch",
        {"rpm_limit": "1", "tpm_limit": "", "team": "data", "risk_tier": "regulated", "capture": "redacted"},
    )
    assert changed.status_code == 303
    workload = get_workload(gateway.state.engine, "batch")
    assert workload is not None and workload.rpm_limit == 1 and workload.content_capture.value == "redacted"
    page = admin.get("/ui/workloads").text
    assert 'id="workload-batch"' in page and 'value="1"' in page
    sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.RateLimitError):  # the new limit: one request a minute
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DEVELOPER])
def test_no_one_but_an_admin_reaches_keys_or_workloads(
    gateway: Gateway, ui_client: Callable[..., UiClient], role: Role
) -> None:
    client = ui_client(gateway)
    client.sign_in(gateway.create_key("test", role=role).secret)
    assert 'href="/ui/keys"' not in client.get("/ui/requests").text  # not in the navigation
    for path in ("/ui/keys", "/ui/workloads"):
        assert client.get(path).status_code == 403
    victim = gateway.create_key("test")
    posts = {
        "/ui/keys": {"workload": "test", "role": "admin"},
        f"/ui/keys/{victim.key.id}/revoke": {},
        "/ui/workloads": {"name": "sneaky"},
        "/ui/workloads/test": {"rpm_limit": "1"},
    }
    for path, form in posts.items():
        for token in ("", "wrong", None):  # none, a wrong one, the session's own valid token
            assert client.post(path, form, csrf=token).status_code == 403, (path, token)
    assert [k.role for k in list_keys(gateway.state.engine, "test")].count(Role.ADMIN) == 0
    assert get_workload(gateway.state.engine, "sneaky") is None
    test = get_workload(gateway.state.engine, "test")
    assert test is None or test.rpm_limit != 1
    assert all(k.revoked_at is None for k in list_keys(gateway.state.engine, "test"))
    signed_out = ui_client(gateway)
    assert signed_out.get("/ui/keys").status_code == 303  # to the sign-in page
    assert signed_out.post("/ui/keys", {"workload": "x"}, csrf="").status_code in (401, 403)
