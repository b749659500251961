"""The invoices' domain error, apart from the services so that the documents can raise it too."""


class InvoiceError(Exception):
    """A change that the invoice's state does not allow; the message is shown to staff."""
