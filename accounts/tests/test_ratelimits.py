from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connections

from accounts.models import RateLimitCounter
from accounts.ratelimits import rate_limit_hit


@pytest.mark.django_db
def test_it_allows_the_limit_and_refuses_the_rest():
    results = [rate_limit_hit(scope="s", identity="a", limit=3, period=3600) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert rate_limit_hit(scope="s", identity="b", limit=3, period=3600)
    assert rate_limit_hit(scope="other", identity="a", limit=3, period=3600)


@pytest.mark.django_db
def test_a_new_window_starts_afresh_and_forgets_the_old_ones():
    with mock.patch("accounts.ratelimits.time.time", return_value=3600 * 1000 + 10):
        assert [rate_limit_hit(scope="s", identity="a", limit=1, period=3600) for _ in range(2)] == [True, False]
    with mock.patch("accounts.ratelimits.time.time", return_value=3600 * 1001 + 10):
        assert rate_limit_hit(scope="s", identity="a", limit=1, period=3600)
    assert RateLimitCounter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_slip_past_the_limit():
    def hit(_):
        try:
            return rate_limit_hit(scope="race", identity="victim", limit=5, period=3600)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(hit, range(40)))
    assert results.count(True) == 5
    assert RateLimitCounter.objects.get().count == 40
