"""The chain's pure rules: the canonical encoding, and what `verify_chain` names for each kind of tampering."""

from __future__ import annotations

from typing import Any

from rungway.audit.chain import GENESIS, canonical, checkpoint_message, record_hash, verify_chain
from rungway.audit.signing import parse_signing_key

SIGNER = parse_signing_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")


def chain(n: int) -> list[dict[str, Any]]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = {"seq": seq, "id": f"aud_{seq}", "ts": 1.5 * seq, "actor": "ann", "key_id": None, "via": "api",
                  "action": "keys.create", "object_type": "keys", "object_id": str(seq), "workload": "w",
                  "request": None, "before": None, "after": '{"name":"é"}', "status": 200,
                  "prev_hash": prev}  # fmt: skip
        fields["hash"] = prev = record_hash(fields)
        out.append(fields)
    return out


def test_the_encoding_is_sorted_compact_and_ascii() -> None:
    assert canonical({"b": 1, "a": "é"}) == b'{"a":"\\u00e9","b":1}'
    assert checkpoint_message(3, 1.25, "ab") == b'{"hash":"ab","seq":3,"ts":1.25}'


def test_an_intact_chain_and_each_kind_of_tampering() -> None:
    assert verify_chain(chain(5), [], None).intact
    edited = chain(5)
    edited[1]["status"] = 500
    assert [(p.kind, p.seq) for p in verify_chain(edited, [], None).problems] == [("changed", 2)]
    removed = chain(5)
    del removed[2]
    assert [(p.kind, p.seq) for p in verify_chain(removed, [], None).problems] == [("removed", 3)]
    assert verify_chain(chain(5)[1:], [], None).problems[0].kind == "removed"  # the first record gone
    replaced = chain(5)
    replaced[2]["actor"] = "mallory"
    replaced[2]["hash"] = record_hash(replaced[2])
    assert [(p.kind, p.seq) for p in verify_chain(replaced, [], None).problems] == [("inserted", 3)]
    assert verify_chain(chain(3), [], None, head_seq=5).problems[0].message.startswith("record(s) 4..5 removed")


def test_a_window_links_from_its_anchor() -> None:
    records = chain(6)
    assert verify_chain(records[3:], [], None, anchor=(3, records[2]["hash"])).intact
    assert not verify_chain(records[3:], [], None, anchor=(3, "f" * 64)).intact


def test_checkpoints_signed_unsigned_another_key_and_past_the_end() -> None:
    records = chain(4)
    sig = SIGNER.sign(checkpoint_message(4, 9.0, records[3]["hash"]))
    signed = {"seq": 4, "ts": 9.0, "hash": records[3]["hash"], "signature": sig, "key_id": SIGNER.key_id}
    report = verify_chain(records, [signed, {**signed, "seq": 2, "hash": records[1]["hash"], "signature": None}],
                          SIGNER.public_raw)  # fmt: skip
    assert report.intact and (report.signed_ok, report.unsigned) == (1, 1)
    assert verify_chain(records, [{**signed, "key_id": "other"}], SIGNER.public_raw).other_key == 1
    assert verify_chain(records, [signed], None).other_key == 1  # no key to check with: not counted as verified
    assert verify_chain(records[:3], [signed], SIGNER.public_raw).problems[0].kind == "removed"
