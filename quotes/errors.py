"""The quotes' domain error, apart from the services so that the documents can raise it too."""


class QuoteError(Exception):
    """A change that the quote's or order's current state does not allow; the message is shown to the user."""
