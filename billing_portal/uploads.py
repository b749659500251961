"""Upload handling for a site that takes no files."""

from django.core.files.uploadhandler import FileUploadHandler


class DiscardFileUploadHandler(FileUploadHandler):
    """Reads a file part of a form (within REQUEST_BODY_MAX_BYTES) and drops it: nothing in memory, nothing on disk.

    No page of the portal or the admin has a file field; a file sent anyway never reaches a view.
    """

    def receive_data_chunk(self, raw_data, start):
        return None  # handled: no other handler sees the chunk

    def file_complete(self, file_size):
        return None  # no file object: request.FILES stays empty
