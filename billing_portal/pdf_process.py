"""`python -m billing_portal.pdf_process`: runs a pickled `(function, args)` from stdin, then the pickled function
(or None) that follows it on the result, and pickles the outcome to stdout.

billing_portal.pdf starts it for each long document, so that the memory of its layout leaves with
the process; it loads the PDF engine first, before it reads its work. The outcome is `(True, result)`
or `(False, exception)`; nothing is written if the process dies.
"""

import gc
import logging
import os
import pickle
import sys


def main() -> None:
    # The outcome goes to the original standard output; anything else that writes there (WeasyPrint tells of
    # libraries it cannot load with print) goes to standard error, so that it cannot spoil the outcome.
    outcome_stream = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    import django

    django.setup()  # the static files finders need the installed apps
    # This process lays out one document and exits, which frees all its memory. Collections on the way
    # would scan the growing layout again and again to free little: a fifth of a 5,000-line render.
    gc.disable()
    from billing_portal import pdf

    # The engine loads while the parent prepares the document (pdf.start_layout_process). If it cannot, the
    # render that follows fails the same way and reports that to the parent; the cause is logged here too.
    try:
        pdf.prepare()
    except Exception:
        logging.getLogger(__name__).exception("The PDF engine could not be loaded before the work came")
    function, args = pickle.load(sys.stdin.buffer)
    try:
        result = function(*args)
        # The parent sends what finishes the result (or None) once it has made it, while this process worked.
        finish = pickle.load(sys.stdin.buffer)
        outcome = (True, finish(result) if finish is not None else result)
    except BaseException as error:  # every failure goes back to the parent as it was
        outcome = (False, error)
        # What the parent still sends, read to its end (in pieces: the failure may be a lack of memory), so that
        # neither process waits for the other to read.
        while sys.stdin.buffer.read(1 << 16):
            pass
    try:
        data = pickle.dumps(outcome)
    except Exception as error:  # an exception that does not pickle
        data = pickle.dumps((False, RuntimeError(repr(error))))
    outcome_stream.write(data)
    outcome_stream.flush()


if __name__ == "__main__":
    main()
