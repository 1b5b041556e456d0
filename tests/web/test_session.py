"""Sessions expire and are bounded; one-time sign-in links work once, before their expiry, with the right key."""

from __future__ import annotations

from rungway.api.auth import Caller
from rungway.domain.keys import Role
from rungway.web.session import SessionStore, SigninLinks, signin_token

ADMIN = Caller(Role.ADMIN, None, None)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_ends_after_its_idle_time_and_its_age() -> None:
    clock = Clock()
    store = SessionStore(idle_s=60, max_age_s=300, clock=clock)
    session = store.open(ADMIN, None, "admin")
    clock.now += 59
    assert store.get(session.id) == session
    clock.now += 59  # each use restarts the idle clock
    assert store.get(session.id) == session
    clock.now += 61
    assert store.get(session.id) is None
    kept = store.open(ADMIN, None, "admin")
    for _ in range(6):
        clock.now += 55
        store.get(kept.id)
    assert store.get(kept.id) is None  # used all along, but older than max_age_s


def test_the_oldest_sessions_are_dropped_past_the_bound() -> None:
    store = SessionStore(max_sessions=2, clock=Clock())
    first, second, third = (store.open(ADMIN, None, str(i)) for i in range(3))
    assert store.get(first.id) is None
    assert store.get(second.id) == second and store.get(third.id) == third
    assert len(store) == 2


def test_sessions_have_their_own_unguessable_ids_and_csrf_tokens() -> None:
    store = SessionStore()
    a, b = store.open(ADMIN, None, "a"), store.open(ADMIN, None, "b")
    assert len({a.id, b.id, a.csrf, b.csrf}) == 4 and min(len(a.id), len(a.csrf)) >= 40
    assert store.get("") is None and store.get("x" * 500) is None
    store.close(a.id)
    assert store.get(a.id) is None


def test_a_sign_in_link_works_once() -> None:
    clock = Clock()
    links = SigninLinks("admin-secret", clock=clock)
    token = signin_token("admin-secret", clock.now)
    assert links.redeem(token) is True
    assert links.redeem(token) is False


def test_a_sign_in_link_expires() -> None:
    clock = Clock()
    links = SigninLinks("admin-secret", clock=clock)
    token = signin_token("admin-secret", clock.now, ttl_s=60)
    clock.now += 61
    assert links.redeem(token) is False


def test_a_sign_in_link_signed_with_another_key_or_altered_is_refused() -> None:
    clock = Clock()
    links = SigninLinks("admin-secret", clock=clock)
    assert links.redeem(signin_token("other-key", clock.now)) is False
    nonce, expiry, signature = signin_token("admin-secret", clock.now).split(".")
    assert links.redeem(f"{nonce}.{int(expiry) + 86400}.{signature}") is False
    assert links.redeem("garbage") is False and links.redeem("") is False
    assert SigninLinks(None, clock=clock).redeem(signin_token("admin-secret", clock.now)) is False
