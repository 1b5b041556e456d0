"""`/api/openapi.json` documents every management route the server mounts."""

from __future__ import annotations

from tests.api.http import call
from tests.servers import Gateway


def test_openapi_document_covers_every_api_route(gateway: Gateway) -> None:
    status, doc = call(gateway, "GET", "/api/openapi.json", key=None)
    assert status == 200 and doc["openapi"].startswith("3.1")
    mounted = {
        (route.method.lower(), route.resource.canonical)
        for route in gateway.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.resource.canonical != "/api/openapi.json"
        and route.method != "HEAD"
    }
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert mounted == documented
    for needed in (
        ("post", "/api/keys"),
        ("get", "/api/keys"),
        ("post", "/api/keys/{key_id}/revoke"),
        ("patch", "/api/keys/{key_id}"),
        ("get", "/api/workloads"),
        ("patch", "/api/workloads/{name}"),
        ("get", "/api/logs"),
        ("get", "/api/usage"),
    ):
        assert needed in documented


def test_every_operation_has_a_schema_an_id_and_error_responses(gateway: Gateway) -> None:
    _, doc = call(gateway, "GET", "/api/openapi.json", key=None)
    op_ids = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            op_ids.append(op["operationId"])
            ok = next(code for code in op["responses"] if code.startswith("2"))
            schema = op["responses"][ok]["content"]["application/json"]["schema"]
            assert "401" in op["responses"] and "403" in op["responses"]
            if op["tags"][0] not in ("keys", "workloads", "logs"):
                continue  # other capabilities' routes are checked by their own tests
            assert schema.get("properties"), (method, path)
            if method in ("post", "patch") and not path.endswith("/revoke"):
                assert op["requestBody"]["content"]["application/json"]["schema"]["properties"], (method, path)
    assert len(op_ids) == len(set(op_ids))
    create = doc["paths"]["/api/keys"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == ["workload"]
    logs = doc["paths"]["/api/logs"]["get"]
    assert {p["name"] for p in logs["parameters"]} >= {"workload", "user", "model", "status", "since", "cursor"}
