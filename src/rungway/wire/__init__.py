"""The hand-written wire protocols, in one place: HTTP/1.1 client, server-sent events, RESP.

Rungway writes these three by hand because each sits on the hot path of every gateway call and the
libraries for them cost more CPU than the rest of the call's work (docs/benchmarks.md):

- `http1` (+ `http1_address` for URLs and the forward proxy): the upstream client, a keep-alive pool
  on an asyncio protocol with the `httptools` (llhttp) parser. Loopback, one core: ~18 µs of CPU per
  upstream request, against ~55 µs for aiohttp's client.
- `sse`: server-sent events from reads cut anywhere, handed over as one list per read.
- `resp`: a pipelined Redis (RESP2) client; the counter commands of one loop turn leave in one write
  and replies are matched in order (redis-py's asyncio client: ~130-170 µs of CPU per EVALSHA).

The rule for this package: each protocol has a conformance suite under tests/wire/ that feeds the
parser scripted server bytes for every framing it accepts or refuses, including the same answer
split at every byte boundary. A change here comes with the scripted bytes that prove it.

The package imports nothing of Rungway's but `rungway.errors`, so any layer above may use it.
"""
