import pytest

from accounts import demo as accounts_demo
from quotes import demo
from quotes.models import ProductAdmin, Quote, QuoteState

pytestmark = pytest.mark.django_db


def test_it_seeds_quotes_in_every_state_once():
    data = accounts_demo.seed()
    assert demo.seed(data) == 3 * len(demo.PLAN)
    assert set(Quote.objects.values_list("state", flat=True)) == set(QuoteState.values)
    assert ProductAdmin.objects.count() == 3
    assert demo.seed(accounts_demo.seed()) == 0
    assert Quote.objects.count() == 3 * len(demo.PLAN)
