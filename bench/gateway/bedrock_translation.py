"""CPU per call that the bedrock provider spends translating and signing, in process (no server, no network).

    .venv/bin/python bench/gateway/bedrock_translation.py [--rounds 7] [--calls 5000]

Each round times, per call: the request (OpenAI body -> Converse body -> JSON bytes), the SigV4 signature
(botocore's SigV4Auth over those bytes), a plain answer (Converse JSON -> chat.completion -> JSON bytes)
and a streamed answer (a 24-word reply plus usage as ConverseStream sends it: 28 event-stream messages
decoded by rungway.wire.eventstream with both CRCs, translated to chunks, each chunk to JSON bytes); the
decoding alone is also timed against botocore's decoder, its reference. The Anthropic
adapter's request and answer translation run in the same rounds as a reference. Figures are the
median over rounds of process CPU time per call (`time.process_time`), so other processes' load on a
shared machine counts less than in wall time. Needs the `bedrock` extra (botocore).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from botocore.eventstream import EventStreamBuffer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/ (the fake's encoder) from a clone

from tests.providers.fake_bedrock import USAGE, event

from rungway.providers.anthropic_wire import to_chat_completion as anthropic_completion
from rungway.providers.anthropic_wire import to_messages_request
from rungway.providers.bedrock_aws import Signer, resolve_credentials
from rungway.providers.bedrock_wire import StreamTranslator, to_chat_completion, to_converse_request
from rungway.wire.eventstream import EventStreamDecoder

BODY = {
    "model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Summarise in one sentence why gateways meter tokens per request."},
    ],
    "max_tokens": 64,
    "temperature": 0.2,
}
TEXT = (
    "Gateways meter tokens per request so that every call can be priced, limited and attributed to the team "
    "that made it, in real time."
)
WORDS = TEXT.split(" ")
ANSWER = orjson.dumps(
    {
        "output": {"message": {"role": "assistant", "content": [{"text": TEXT}]}},
        "stopReason": "end_turn",
        "usage": USAGE,
        "metrics": {"latencyMs": 412},
    }
)
ANTHROPIC_ANSWER = orjson.dumps(
    {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": TEXT}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 7, "cache_read_input_tokens": 5},
    }
)
STREAM = b"".join(
    [
        event("messageStart", {"role": "assistant"}),
        *(
            event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": w if i == 0 else " " + w}})
            for i, w in enumerate(WORDS)
        ),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "end_turn"}),
        event("metadata", {"usage": USAGE, "metrics": {"latencyMs": 412}}),
    ]
)
PIECE = 1400  # about one TCP segment per read
URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"


def bedrock_request() -> bytes:
    return orjson.dumps(to_converse_request(BODY).body)


def anthropic_request() -> bytes:
    return orjson.dumps(to_messages_request(BODY, 4096).body)


SIGNER = Signer(resolve_credentials(None, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None), "us-east-1")
SIGNED_BODY = bedrock_request()


def sign() -> dict[str, str]:
    return SIGNER.headers(URL, SIGNED_BODY, {"Content-Type": "application/json", "Accept": "application/json"})


def bedrock_answer() -> bytes:
    data, _ = to_chat_completion("aws", orjson.loads(ANSWER), None, 0, BODY["model"], "chatcmpl-1")  # type: ignore[arg-type]
    return orjson.dumps(data)


def anthropic_answer() -> bytes:
    data, _ = anthropic_completion(orjson.loads(ANTHROPIC_ANSWER), None, 0)
    return orjson.dumps(data)


def bedrock_stream() -> int:
    decoder = EventStreamDecoder(1 << 20)
    translator = StreamTranslator("aws", None, 0, str(BODY["model"]), "chatcmpl-1")
    out = 0
    for start in range(0, len(STREAM), PIECE):
        for message in decoder.feed(STREAM[start : start + PIECE]):
            for chunk in translator.translate(message.event_type, orjson.loads(message.payload)):
                out += len(orjson.dumps(chunk))
    assert translator.finished
    return out


def decode_ours() -> int:
    decoder = EventStreamDecoder(1 << 20)
    return sum(len(decoder.feed(STREAM[at : at + PIECE])) for at in range(0, len(STREAM), PIECE))


def decode_botocore() -> int:
    buffer = EventStreamBuffer()
    count = 0
    for at in range(0, len(STREAM), PIECE):
        buffer.add_data(STREAM[at : at + PIECE])
        count += sum(1 for _ in buffer)
    return count


CASES: dict[str, Callable[[], Any]] = {
    "bedrock request (translate + JSON)": bedrock_request,
    "anthropic request (translate + JSON), reference": anthropic_request,
    "bedrock SigV4 signature (botocore)": sign,
    "bedrock plain answer (JSON -> chat.completion -> JSON)": bedrock_answer,
    "anthropic plain answer, reference": anthropic_answer,
    "decode only, 28 messages: rungway.wire.eventstream": decode_ours,
    "decode only, 28 messages: botocore EventStreamBuffer (reference)": decode_botocore,
    f"bedrock streamed answer ({len(WORDS) + 4} events: decode + translate + chunk JSON)": bedrock_stream,
}


def per_call_us(action: Callable[[], Any], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        action()
    return (time.process_time() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    results: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, action in CASES.items():
            results[name].append(per_call_us(action, args.calls))
    print("| | µs CPU per call (median of rounds) | min | max |")
    print("|---|---|---|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")


if __name__ == "__main__":
    main()
