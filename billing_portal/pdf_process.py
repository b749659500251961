"""`python -m billing_portal.pdf_process`: runs a pickled `(function, args)` from stdin, pickles the outcome to stdout.

billing_portal.pdf starts it for each long document, so that the memory of its layout leaves with
the process. The outcome is `(True, result)` or `(False, exception)`; nothing is written if the
process dies.
"""

import gc
import pickle
import sys


def main() -> None:
    import django

    django.setup()  # the static files finders need the installed apps
    # This process lays out one document and exits, which frees all its memory. Collections on the way
    # would scan the growing layout again and again to free little: a fifth of a 5,000-line render.
    gc.disable()
    function, args = pickle.load(sys.stdin.buffer)
    try:
        outcome = (True, function(*args))
    except BaseException as error:  # every failure goes back to the parent as it was
        outcome = (False, error)
    try:
        data = pickle.dumps(outcome)
    except Exception as error:  # an exception that does not pickle
        data = pickle.dumps((False, RuntimeError(repr(error))))
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
