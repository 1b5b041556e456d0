"""`PinResolver` with an in-memory catalogue, and `approved_only` through the gateway with the openai SDK."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openai
import pytest

from rungway.capability import Host, Installed, load_capabilities
from rungway.errors import InvalidRequest, PermissionDenied
from rungway.models.install import CAPABILITY, build_models
from rungway.models.pins.book import PinBook
from rungway.models.pins.config import parse_pinning
from rungway.models.pins.resolver import PinResolver
from rungway.models.ports import Resolution
from tests.models.pins.support import CONFIG, Catalogue, Entry, logged
from tests.servers import Gateway, write_config

CATALOGUE = Catalogue([
    Entry("gpt-4o-latest", floating=True, alias_of="gpt-4o-2024-11-20"),
    Entry("gpt-4o-2024-08-06"),
    Entry("gpt-4o-2024-11-20"),
    Entry("gpt-4o-2024-05-13", status="blocked"),
    Entry("gpt-4o-mini-2024-07-18", status="preview"),
])  # fmt: skip
POLICIES = parse_pinning({"workloads": {
    "pinned": {"pins": {"gpt-4o-latest": "gpt-4o-2024-08-06"}},
    "strict": {"floating_aliases": "refuse", "approved_only": True},
}})  # fmt: skip


def resolver(catalogue: Catalogue | None = CATALOGUE) -> PinResolver:
    return PinResolver(catalogue, PinBook(POLICIES), POLICIES)


def test_a_floating_alias_resolves_to_the_pin_else_to_its_current_snapshot() -> None:
    r = resolver()
    assert r.resolve("pinned", "gpt-4o-latest") == Resolution("gpt-4o-latest", "gpt-4o-2024-08-06", "pin", True)
    assert r.resolve("other", "gpt-4o-latest") == Resolution("gpt-4o-latest", "gpt-4o-2024-11-20", None, True)
    assert r.resolve(None, "gpt-4o-2024-08-06") == Resolution("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "snapshot")
    assert r.resolve("other", "my-model") == Resolution("my-model", "my-model")


def test_refuse_mode_names_the_snapshots_and_approved_only_names_the_alternatives() -> None:
    r = resolver()
    with pytest.raises(InvalidRequest) as refused:
        r.resolve("strict", "gpt-4o-latest")
    assert refused.value.code == "floating_model_refused"
    assert "gpt-4o-2024-11-20, gpt-4o-2024-08-06" in refused.value.message
    assert r.resolve("strict", "gpt-4o-2024-08-06").model == "gpt-4o-2024-08-06"
    for name, why in (("gpt-4o-2024-05-13", "is blocked"), ("gpt-4o-mini-2024-07-18", "is preview"),
                      ("unknown-2024-01-01", "is not in the catalogue")):  # fmt: skip
        with pytest.raises(PermissionDenied) as denied:
            r.resolve("strict", name)
        assert denied.value.code == "model_not_approved" and why in denied.value.message
        assert "Approved models: gpt-4o-2024-08-06, gpt-4o-2024-11-20" in denied.value.message


def test_without_a_catalogue_a_name_floats_only_when_it_is_undated_and_pinned() -> None:
    r = resolver(None)
    assert r.resolve("pinned", "gpt-4o-latest").pinned_by == "pin"
    assert r.resolve("other", "gpt-4o-latest") == Resolution("gpt-4o-latest", "gpt-4o-latest", None, True)
    assert r.resolve("strict", "gpt-4o-mini") == Resolution("gpt-4o-mini", "gpt-4o-mini")  # nobody pins it
    with pytest.raises(InvalidRequest):
        r.resolve("strict", "gpt-4o-latest")  # some workload pins it: a floating alias
    assert r.resolve("strict", "gpt-4o-2024-05-13").model == "gpt-4o-2024-05-13"  # no catalogue: nothing to approve


def test_approved_only_refuses_unapproved_models_through_the_gateway(tmp_path: Path) -> None:
    def with_catalogue(host: Host) -> Installed:
        return build_models(host, CATALOGUE)

    text = CONFIG.replace("    strict:\n      floating_aliases: refuse\n", "    strict:\n      approved_only: true\n")
    config = write_config(tmp_path, text.replace("{store_url}", f"sqlite:///{tmp_path}/rungway.db"))
    capabilities = [
        dataclasses.replace(c, install=with_catalogue) if c.name == CAPABILITY.name else c for c in load_capabilities()
    ]
    gw = Gateway(config, capabilities)
    try:
        sdk = gw.sdk(gw.create_key("strict").secret)
        with pytest.raises(openai.PermissionDeniedError) as denied:
            sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert denied.value.code == "model_not_approved" and "gpt-4o-2024-08-06" in denied.value.message
        sdk.chat.completions.create(model="gpt-4o-latest", messages=[{"role": "user", "content": "hi"}])
        assert logged(gw)[-1][:3] == ("gpt-4o-latest", "gpt-4o-2024-11-20", False)  # floating: not pinned
    finally:
        gw.stop()
