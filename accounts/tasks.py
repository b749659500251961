"""Thin Celery wrappers around accounts.services; each is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def po_expiry_remind() -> int:
    return services.po_expiry_remind()
