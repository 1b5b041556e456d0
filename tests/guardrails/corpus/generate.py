"""Writes the labelled corpora `pii.jsonl` and `secrets.jsonl` (fixed seed, so the files are reproducible).

Each line: {"text": ..., "findings": [{"rule": ..., "value": ...}], "note": ...}; a value is the exact substring a
detector must report (its first occurrence in the text). Positives are written in the formats people paste
(cards in fours, IBANs grouped or not, phones national and international); near-misses are what a detector
must not report: card numbers failing Luhn or outside any issuer range, IBANs failing mod-97, never-issued
SSNs, UUIDs, git SHAs and digests, phone-like order numbers, versions, dates, placeholders and ordinary text.
Run: python tests/guardrails/corpus/generate.py
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

HERE = Path(__file__).parent
rng = random.Random(22)
B62 = string.ascii_letters + string.digits

NAMES = ["ann", "bob.smith", "chen_li", "d.okafor", "eva+news", "farid", "grace.hopper", "h.tanaka", "ines", "jo"]
DOMAINS = ["example.com", "mail.example.org", "corp.example.co.uk", "uni-example.edu", "example.io", "shop.example.de"]
PROSE = [
    "The quarterly report is due on Friday, please send your comments before noon.",
    "We moved the standup to 10:30 because of the holiday on the 24th.",
    "Version 2.3.1 fixes the login bug; upgrade with pip install -U ourlib.",
    "The meeting room on floor 3 seats 12 people and has a projector.",
    "Revenue grew 14.5% year over year, to 3,200,000 dollars in Q3 2024.",
    "Please review chapter 4.2 and section 7 before the workshop.",
    "Our office is open from 9 to 5, Monday through Friday.",
    "The build took 312 seconds on the CI runner, down from 540.",
    "Temperature today: 21 degrees, wind 15 km/h, humidity 60%.",
    "She scored 98 out of 100 on the final exam in 2019.",
    "Add 250 g of flour, 2 eggs and 120 ml of milk, then bake for 35 minutes.",
    "The train leaves at 07:45 from platform 9 and arrives at 11:20.",
    "Use the staging cluster for tests; production is frozen until 2025-01-06.",
    "Our API rate limit is 600 requests per minute per key.",
    "The ticket was closed after the fix landed in release 5.14.0.",
    "Population of the city: 1,234,567 according to the 2021 census.",
    "Can you summarise this article about renewable energy in three bullet points?",
    "Translate 'good morning' into French, Spanish and German.",
    "I need a haiku about autumn leaves for a greeting card.",
    "What is the difference between a list and a tuple in Python?",
]


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        candidate = body + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            v = int(ch)
            if i % 2:
                v = v * 2 - 9 if v > 4 else v * 2
            total += v
        if total % 10 == 0:
            return candidate
    raise AssertionError


def luhn_broken(card: str) -> str:
    last = int(card[-1])
    return card[:-1] + str((last + rng.randint(1, 9)) % 10)


def group_card(digits: str) -> str:
    style = rng.choice(["plain", "space", "dash"])
    if style == "plain":
        return digits
    sep = " " if style == "space" else "-"
    if len(digits) in (14, 15):  # Amex and Diners are printed 4-6-5 and 4-6-4
        return sep.join((digits[:4], digits[4:10], digits[10:]))
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


IBAN_BBAN = {"DE": "n18", "GB": "a4n14", "FR": "n10c11n2", "ES": "n20", "NL": "a4n10", "IT": "a1n10c12", "BE": "n12",
             "CH": "n5c12", "PL": "n24", "SE": "n20", "AT": "n16", "IE": "a4n14", "PT": "n21", "NO": "n11"}  # fmt: skip


def bban(spec: str) -> str:
    out = []
    i = 0
    while i < len(spec):
        kind = spec[i]
        j = i + 1
        while j < len(spec) and spec[j].isdigit():
            j += 1
        count = int(spec[i + 1 : j])
        chars = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}[kind]
        out.append("".join(rng.choice(chars) for _ in range(count)))
        i = j
    return "".join(out)


def iban(country: str, valid: bool = True) -> str:
    body = bban(IBAN_BBAN[country])
    numeric = int("".join(str(int(c, 36)) for c in body + country + "00"))
    check = 98 - numeric % 97
    if not valid:
        check = (check + rng.randint(1, 90)) % 97 or 1
        check = check if check != 98 - numeric % 97 else check + 1
    return f"{country}{check:02d}{body}"


def group_iban(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.5 else value


def item(text: str, findings: list[tuple[str, str]], note: str) -> dict[str, object]:
    for _, value in findings:
        assert value in text, (value, text)
    return {"text": text, "findings": [{"rule": r, "value": v} for r, v in findings], "note": note}


# Written by hand, as people paste them: positives in less common shapes and near-misses from real text.
HANDWRITTEN_PII: list[tuple[str, list[tuple[str, str]], str]] = [
    ("EMAIL: JOHN.DOE@EXAMPLE.COM", [("pii.email", "JOHN.DOE@EXAMPLE.COM")], "upper-case email"),
    ("cc: a.b-c_d@sub.mail.example.travel; thanks", [("pii.email", "a.b-c_d@sub.mail.example.travel")], "email"),
    ("my number's +1-415-555-2671", [("pii.phone", "+1-415-555-2671")], "E.164 with hyphens"),
    ("Ring +44 (0)20 7946 0958 after six", [("pii.phone", "+44 (0)20 7946 0958")], "UK trunk prefix"),
    ("tel: 415 555 2671", [("pii.phone", "415 555 2671")], "NANP with spaces"),
    ("Call 4155552671 when you land", [("pii.phone", "4155552671")], "bare NANP after a cue"),
    ("whatsapp me: 2125550147", [("pii.phone", "2125550147")], "bare NANP after a cue"),
    ("Card: 4111-1111-1111-1111, CVV 123", [("pii.card", "4111-1111-1111-1111")], "card with dashes"),
    ("Amex 378282246310005 exp 09/28", [("pii.card", "378282246310005")], "Amex plain"),
    ("pay with 5105105105105100.", [("pii.card", "5105105105105100")], "Mastercard at sentence end"),
    ("iban: de89 3704 0044 0532 0130 00 please", [("pii.iban", "de89 3704 0044 0532 0130 00")], "lower-case IBAN"),
    ("NL91ABNA0417164300 is the foundation's account", [("pii.iban", "NL91ABNA0417164300")], "IBAN at start"),
    (
        "from FR1420041010050500013M02606 to GB29NWBK60161331926819",
        [("pii.iban", "FR1420041010050500013M02606"), ("pii.iban", "GB29NWBK60161331926819")],
        "two IBANs",
    ),
    ("SSN 123456789 on file", [("pii.ssn", "123456789")], "bare SSN after a cue"),
    ("Social Security: 123 45 6789", [("pii.ssn", "123 45 6789")], "spaced SSN after a cue"),
    ("open http://192.168.0.1:8080/admin", [("pii.ip", "192.168.0.1")], "IP in a URL"),
    ("peer [2001:db8::1]:443 refused", [("pii.ip", "2001:db8::1")], "bracketed IPv6"),
    ("UPS tracking 1Z999AA10123456784 arrives Monday.", [], "near-miss: UPS tracking number"),
    ("Invoice INV-2024-000123 is overdue.", [], "near-miss: invoice id"),
    ("From 2024-01-15 to 2024-02-15 inclusive.", [], "near-miss: dates"),
    ("Coordinates 48.8566, 2.3522 (Paris).", [], "near-miss: coordinates"),
    ("Total 1,234,567.89 EUR.", [], "near-miss: amount"),
    ("ISBN 978-0-306-40615-7", [], "near-miss: ISBN"),
    ("Timestamp 1700000000123 ms", [], "near-miss: epoch milliseconds"),
    ("Photo by @jane_doe on Unsplash", [], "near-miss: handle"),
    ("call me at extension 2671", [], "near-miss: extension"),
    ("pip install numpy==1.26.4 scipy==1.11.4", [], "near-miss: versions"),
    ("Error code 0x80070005 and 0x0000007B", [], "near-miss: hex codes"),
    ("The 5 9 3 4 8 2 1 7 series", [], "near-miss: spaced digits"),
    ("Use std::vector and A::B in C++", [], "near-miss: C++ scope"),
    ("Score was 12:30:45:60 at the end", [], "near-miss: colon numbers"),
    ("Order number 4155552671 was refunded", [], "near-miss: bare digits after an order cue"),
    ("Lot 123456789 of the batch", [], "near-miss: 9 digits without an SSN cue"),
    ("The IBAN format is CCkk BBBB BBBB ...", [], "near-miss: IBAN shape description"),
]


def pii_items() -> list[dict[str, object]]:
    items = [item(text, list(findings), note) for text, findings, note in HANDWRITTEN_PII]
    for _ in range(22):
        email = f"{rng.choice(NAMES)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
        t = rng.choice(["Contact me at {} for details.", "Send the invoice to {}.", "Reply-To: {}", "({}) wrote:"])
        items.append(item(t.format(email), [("pii.email", email)], "email"))
    phones = ["+1 415 555 2671", "+44 20 7946 0958", "+33 1 42 68 53 00", "+49 30 901820", "+81 3-1234-5678",
              "+61 2 9876 5432", "+14155552671", "+442079460958", "+1 (212) 555-0147", "+91 98765 43210",
              "+34 912 345 678", "+39 06 1234 5678", "+55 11 91234-5678", "+353 1 234 5678", "+46 8 123 456 78",
              "(415) 555-2671", "415-555-0199", "212.555.0147", "1-800-555-0199", "(646) 555-0123", "303 555 0188",
              "020 7946 0958", "07700 900123", "0161 496 0000", "01 42 68 53 00", "06 12 34 56 78", "030 901820",
              "089/1234567"]  # fmt: skip
    for phone in phones:
        t = rng.choice(["Call me on {} tomorrow.", "My number is {}.", "Phone: {}", "Reach the desk at {} any time."])
        items.append(item(t.format(phone), [("pii.phone", phone)], "phone"))
    brands = [("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16),
              ("65", 16), ("3530", 16), ("36", 14), ("62", 16), ("4", 19)]  # fmt: skip
    for _ in range(30):
        prefix, length = rng.choice(brands)
        card = group_card(luhn_complete(prefix, length))
        t = rng.choice(["My card is {} exp 04/27.", "Charge {} please.", "card number: {}", "Use {} for the order."])
        items.append(item(t.format(card), [("pii.card", card)], "card"))
    for fixed in ["4111 1111 1111 1111", "5555 5555 5555 4444", "3782 822463 10005", "6011111111111117"]:
        items.append(item(f"Test card {fixed} from the docs.", [("pii.card", fixed)], "card, published test number"))
    for _ in range(24):
        value = group_iban(iban(rng.choice(list(IBAN_BBAN))))
        t = rng.choice(["Pay to IBAN {} by Friday.", "Account: {}", "Wire the deposit to {}, ref. rent.", "IBAN {}"])
        items.append(item(t.format(value), [("pii.iban", value)], "iban"))
    for _ in range(16):
        area = rng.choice([n for n in range(1, 900) if n != 666])
        ssn = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        t = rng.choice(["SSN: {}", "Her social security number is {}.", "Employee {} (SSN) joined in May.", "ssn {}"])
        items.append(item(t.format(ssn), [("pii.ssn", ssn)], "ssn"))
    ips = ["192.168.1.20", "10.0.0.1", "172.16.254.3", "8.8.8.8", "203.0.113.45", "198.51.100.7", "255.255.255.0",
           "2001:db8::8a2e:370:7334", "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "::1",
           "2606:4700:4700::1111"]  # fmt: skip
    for ip in ips:
        t = rng.choice(["The server is at {}.", "Blocked login from {} last night.", "ping {}", "Client IP {} logged."])
        items.append(item(t.format(ip), [("pii.ip", ip)], "ip"))
    email, card = "maria.garcia@example.es", "4242 4242 4242 4242"
    items.append(item(f"Hi, I'm Maria ({email}), card {card}, call +34 612 345 678.",
                      [("pii.email", email), ("pii.card", card), ("pii.phone", "+34 612 345 678")],
                      "mixed"))  # fmt: skip
    # near-misses
    for _ in range(20):
        prefix, length = rng.choice(brands)
        bad = group_card(luhn_broken(luhn_complete(prefix, length)))
        items.append(item(f"Card {bad} was declined.", [], "near-miss: fails Luhn"))
    for _ in range(10):
        bad = group_card(luhn_complete(rng.choice(["1", "7", "8", "9", "0"]), 16))
        items.append(item(f"Reference {bad} in the ledger.", [], "near-miss: passes Luhn, no issuer range"))
    for _ in range(16):
        bad = group_iban(iban(rng.choice(list(IBAN_BBAN)), valid=False))
        items.append(item(f"IBAN {bad} bounced.", [], "near-miss: fails mod-97"))
    for bad in ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120"]:
        items.append(item(f"SSN {bad} on the form.", [], "near-miss: never-issued SSN"))
    for _ in range(12):
        h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
        uuid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        items.append(item(f"Request id {uuid} failed.", [], "near-miss: UUID"))
    for _ in range(12):
        sha = "".join(rng.choice("0123456789abcdef") for _ in range(40))
        items.append(item(f"Fixed in commit {sha}.", [], "near-miss: git SHA"))
    for order in [
        "Order #415-555-2671",
        "order no. 212-555-0147",
        "Invoice 303 555 0188",
        "Tracking: 646-555-0123",
        "Ref 020 7946 0958",
        "ticket 415.555.2671",
        "SKU 4155552671",
        "order 20231104-5567",
    ]:
        items.append(item(f"{order} has shipped.", [], "near-miss: phone-like order number"))
    for other in [
        "v1.2.3.4",
        "version 10.4.22.1",
        "on 2024-11-30",
        "at 12:30:45",
        "ISBN 978-3-16-148410-0",
        "patch 3.10.12",
        "ratio 1:2:3",
        "192.168.1",
        "999.1.1.1",
        "MAC 00:1A:2B:3C:4D:5E",
        "call ext. 4521",
        "room 12-345",
        "1234 5678",
        "user at example dot com",
        "@username on the forum",
        "email@",
        "score 4.5.6.7.8",
    ]:
        items.append(item(f"Noted {other} in the log.", [], "near-miss: digits that are not PII"))
    for text in PROSE:
        items.append(item(text, [], "ordinary text"))
    return items


def rand(chars: str, n: int) -> str:
    while True:
        value = "".join(rng.choice(chars) for _ in range(n))
        if any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value):
            return value


def jwt() -> str:
    import base64

    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    header = enc({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    payload = enc({"sub": str(rng.randint(1, 10**9)), "name": rng.choice(NAMES), "iat": rng.randint(1, 2 * 10**9)})
    return f"{header}.{payload}.{rand(B62 + '-_', 43)}"


HANDWRITTEN_SECRETS: list[tuple[str, list[tuple[str, str]], str]] = [
    ("AWS docs example AKIAIOSFODNN7EXAMPLE", [("secrets.aws_access_key", "AKIAIOSFODNN7EXAMPLE")], "AWS example id"),
    (
        '{"AccessKeyId": "ASIAY34FZKBOKMUTVV7A", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}',
        [
            ("secrets.aws_access_key", "ASIAY34FZKBOKMUTVV7A"),
            ("secrets.aws_secret_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ],
        "AWS JSON credentials",
    ),
    (
        "Authorization: token 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",
        [("secrets.github_token", "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")],
        "GitHub header",
    ),
    (
        "post to https://hooks.slack.com/services/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",
        [("secrets.slack_webhook", "hooks.slack.com/services/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")],
        "Slack webhook",
    ),
    (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF0Q2xoBCADPx\n-----END PGP PRIVATE KEY BLOCK-----",
        [
            (
                "secrets.private_key",
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF0Q2xoBCADPx\n-----END PGP PRIVATE KEY BLOCK-----",
            )
        ],
        "PGP",
    ),
    ("redis://:p%40ssW0rd9@cache:6379/0", [("secrets.url_password", "p%40ssW0rd9")], "URL password, no user"),
    (
        "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH please rotate",
        [("secrets.stripe_key", "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH")],
        "Stripe webhook secret",
    ),
    (
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA3lXkXgH9mQpZ0oT3zLkV9J2bW user@laptop",
        [],
        "near-miss: SSH public key",
    ),
    (
        "![dot](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==)",
        [],
        "near-miss: data URI",
    ),
    ('"integrity": "sha512-Xo0NE1nCBlGu4bRBhYQzP6F5Qj8m2Z7cVbKdLx9WfR1tJ3pA"', [], "near-miss: npm integrity"),
    ("image@sha256:6a5b1c7e4d3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b", [], "near-miss: digest"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", [], "near-miss: video id"),
    ("docs.google.com/document/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit", [], "near-miss: doc URL"),
    ("X-Amzn-Trace-Id: Root=1-67891233-abcdef012345678912345678", [], "near-miss: trace header"),
    ("IMG_20240101_123456789.jpg", [], "near-miss: file name"),
    ("customer cus_NffrFeUfNV2Hib and charge ch_3MmlLrLkdIwHu7ix0snN0B15", [], "near-miss: Stripe object ids"),
    ("export OPENAI_API_KEY=<your key>", [], "near-miss: placeholder"),
    ("password: hunter2", [], "near-miss: short password (no rule for bare passwords)"),
]


def secret_items() -> list[dict[str, object]]:
    items = [item(text, list(findings), note) for text, findings, note in HANDWRITTEN_SECRETS]
    upper32 = string.ascii_uppercase + "234567"
    makers = {
        "secrets.openai_key": lambda: rng.choice([
            f"sk-proj-{rand(B62 + '-_', 156)}", f"sk-{rand(B62, 20)}T3BlbkFJ{rand(B62, 20)}",
            f"sk-svcacct-{rand(B62 + '-_', 120)}", f"sk-{rand(B62, 48)}"]),
        "secrets.anthropic_key": lambda: f"sk-ant-api03-{rand(B62 + '-_', 93)}AA",
        "secrets.aws_access_key": lambda: rng.choice(["AKIA", "ASIA"]) + "".join(rng.choices(upper32, k=16)),
        "secrets.github_token": lambda: rng.choice([f"ghp_{rand(B62, 36)}", f"gho_{rand(B62, 36)}",
                                                    f"github_pat_{rand(B62, 22)}_{rand(B62, 59)}"]),
        "secrets.gitlab_token": lambda: f"glpat-{rand(B62 + '-_', 20)}",
        "secrets.slack_token": lambda: (
            f"xoxb-{rng.randint(10**9, 10**10)}-{rng.randint(10**12, 10**13)}-{rand(B62, 24)}"),
        "secrets.stripe_key": lambda: f"{rng.choice(['sk', 'rk'])}_{rng.choice(['live', 'test'])}_{rand(B62, 24)}",
        "secrets.google_api_key": lambda: f"AIza{rand(B62 + '-_', 35)}",
        "secrets.jwt": jwt,
    }  # fmt: skip
    contexts = ["export KEY={}", "Here is my key: {} can you check why it fails?", "config: token = \"{}\"",
                "Authorization: Bearer {}", "I accidentally pasted {} in the channel", "{}"]  # fmt: skip
    for rule, make in makers.items():
        for _ in range(12):
            value = make()
            items.append(item(rng.choice(contexts).format(value), [(rule, value)], rule))
    for _ in range(10):
        secret = rand(B62 + "/+", 40)
        items.append(item(f"aws_secret_access_key = {secret}", [("secrets.aws_secret_key", secret)], "aws secret"))
    for _ in range(12):
        password = rand(B62 + "!._~", rng.randint(8, 20))
        scheme = rng.choice(["postgres", "mysql", "redis", "https", "amqp", "mongodb+srv"])
        url = f"{scheme}://{rng.choice(NAMES).split('.')[0]}:{password}@db{rng.randint(1, 9)}.example.com:5432/app"
        items.append(item(f"DATABASE_URL={url}", [("secrets.url_password", password)], "password in URL"))
    for kind in ["RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED ", "DSA "]:
        for _ in range(2):
            body = "\n".join(rand(B62 + "+/", 64) for _ in range(rng.randint(3, 8)))
            pem = f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"
            items.append(item(f"Here is the deploy key:\n{pem}\nthanks", [("secrets.private_key", pem)], "PEM"))
    for _ in range(12):
        token = rand(B62, rng.randint(32, 48))
        t = rng.choice(["api_token: {}", "The client secret is {}", "X-Api-Key: {}", "session={}"])
        items.append(item(t.format(token), [("secrets.high_entropy", token)], "generic high-entropy token"))
    # near-misses
    for _ in range(12):
        h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
        items.append(item(f"trace id {h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", [], "near-miss: UUID"))
    for n in (40, 40, 40, 64, 64, 32, 32, 128, 40, 64):
        digest = "".join(rng.choice("0123456789abcdef") for _ in range(n))
        items.append(item(f"checksum {digest} verified", [], "near-miss: hex digest / git SHA"))
    for placeholder in [
        "sk-...",
        "sk-your-key-here",
        "OPENAI_API_KEY=sk-xxxxxxxx",
        "AKIA...",
        "ghp_xxx",
        "postgres://user:${DB_PASSWORD}@db/app",
        "https://user:password@host/",
        "mysql://root:****@h/db",
        "redis://:<password>@cache:6379",
        "https://example.com/a/b/c/d/e/f/index.html",
        "sk-learn is not a package, scikit-learn is",
        "pk_live_" + rand(B62, 24),
        "eyJhbGciOi.this.is-not-a-token",
        "xoxb-not-a-real-token",
        "glpat-short",
        "AIza is the prefix of Google API keys",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "src/rungway/guardrails/detectors/secrets.py",
        "getUserAccountSettingsForTenantById",
        "com.example.service.billing.InvoiceRepository",
        "See https://docs.example.com/api-keys",
        "AKIAIOSFODNN7EXAMPL",
        "the_quick_brown_fox_jumps_over_the_lazy_dog",
        "ThisIsAVeryLongCamelCaseIdentifierName",
        "data:image/png;base64,iVBORw0KGgo=",
    ]:
        items.append(item(f"Note: {placeholder}", [], "near-miss: placeholder or look-alike"))
    for text in PROSE:
        items.append(item(text, [], "ordinary text"))
    return items


def main() -> None:
    for name, items in (("pii", pii_items()), ("secrets", secret_items())):
        with (HERE / f"{name}.jsonl").open("w") as out:
            for it in items:
                out.write(json.dumps(it, ensure_ascii=False) + "\n")
        print(f"{name}.jsonl: {len(items)} items")


if __name__ == "__main__":
    main()
