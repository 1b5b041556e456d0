"""What an upstream request is addressed to (`rungway.wire.http1_address`): URL parts, proxies, header hygiene."""

from __future__ import annotations

import pytest

from rungway.wire.http1_address import H1Error, Proxy, clean_header, parse_target


def test_parse_target_keeps_query_and_host_header() -> None:
    t = parse_target("https://example.openai.azure.com/openai/deployments/d/chat?api-version=2024-10-21")
    assert (t.scheme, t.host, t.port, t.host_header) == (
        "https",
        "example.openai.azure.com",
        443,
        "example.openai.azure.com",
    )
    assert t.path == "/openai/deployments/d/chat?api-version=2024-10-21"
    assert parse_target("http://[::1]:8080").host_header == "[::1]:8080"
    with pytest.raises(H1Error):
        parse_target("ftp://x")


def test_proxy_urls() -> None:
    assert Proxy.from_url("http://proxy.internal:3128") == Proxy("proxy.internal", 3128, None)
    assert Proxy.from_url("http://a:b@p").authorization == "Basic YTpi"
    with pytest.raises(H1Error, match="http:// proxy"):
        Proxy.from_url("socks5://p:1080")


@pytest.mark.parametrize("text", ["x\r\nInjected: 1", "x\nInjected: 1", "x\rInjected: 1", "x\0y"])
def test_a_header_that_could_split_the_request_is_refused(text: str) -> None:
    with pytest.raises(H1Error, match="line break or NUL"):
        clean_header(text)


def test_a_plain_header_passes_unchanged() -> None:
    assert clean_header('Bearer sk-abc; x="1"') == 'Bearer sk-abc; x="1"'
