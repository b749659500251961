import pytest
from django.urls import reverse

from billing_portal.links import pk_link


@pytest.mark.parametrize("viewname", ["quotes:detail", "quotes:cart_remove", "invoices:detail", "invoices:pdf"])
@pytest.mark.parametrize("pk", [1, 7, 42, 987654321987, 10**15])
def test_pk_link_gives_what_reverse_gives(viewname, pk):
    assert pk_link(viewname)(pk) == reverse(viewname, args=[pk])


def test_pk_link_takes_integers_only():
    link = pk_link("quotes:detail")
    assert link("12") == reverse("quotes:detail", args=[12])
    with pytest.raises(ValueError):
        link("12/../../admin")
