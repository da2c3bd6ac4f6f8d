"""/documentos: the documents attached to commercial records."""

from pages.documents.state import DocumentsState
from pages.documents.view import documents_page

__all__ = ["DocumentsState", "documents_page"]
