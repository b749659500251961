"""Thin Celery wrappers around quotes.services; each is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def quotes_expire_due() -> int:
    return services.quotes_expire_due()


@shared_task(ignore_result=True)
def quotes_remind_due() -> int:
    return services.quotes_remind_due()
