import pytest

from accounts import demo as accounts_demo
from quotes import demo
from quotes.models import AdminContact, Quote, QuoteState, ServiceOrder, TermsVersion

pytestmark = pytest.mark.django_db


def test_it_seeds_quotes_in_every_state_once():
    data = accounts_demo.seed()
    assert demo.seed(data) == 3 * len(demo.PLAN)
    assert set(Quote.objects.values_list("state", flat=True)) == set(QuoteState.values)
    assert AdminContact.objects.count() == 3
    assert demo.seed(accounts_demo.seed()) == 0
    assert Quote.objects.count() == 3 * len(demo.PLAN)


def test_seeding_again_a_week_later_gives_the_demo_open_quotes_again():
    from datetime import timedelta

    from django.utils import timezone

    from quotes.services import quotes_expire_due

    data = accounts_demo.seed()
    demo.seed(data)
    open_plan = [suffix for suffix, state, _ago, _lines in demo.PLAN if state == QuoteState.SUBMITTED]
    expired_by_beat = quotes_expire_due(now=timezone.now() + timedelta(days=8))
    assert expired_by_beat == 3 * len(open_plan)
    assert not Quote.objects.filter(state=QuoteState.SUBMITTED).exists()

    assert demo.seed(accounts_demo.seed()) == 3 * len(open_plan)
    assert Quote.objects.open().count() == 3 * len(open_plan)
    assert demo.seed(accounts_demo.seed()) == 0


def test_it_seeds_terms_in_english_and_german_and_places_the_demo_orders_under_them():
    TermsVersion.objects.all().delete()
    demo.seed(accounts_demo.seed())
    assert set(TermsVersion.objects.published().values_list("language", flat=True)) == {"en", "de"}
    for order in ServiceOrder.objects.select_related("account", "terms"):
        assert order.terms.language == order.account.language
        assert order.terms_accepted_at == order.placed_at
    demo.seed(accounts_demo.seed())
    assert TermsVersion.objects.count() == 2
