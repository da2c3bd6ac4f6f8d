"""/presupuestos: the quotes list, and the quote editor (/presupuestos/nuevo,
/presupuestos/[presupuesto_id]) with its lines, totals, versions, PDF and e-mail."""

from pages.quotes.editor_state import QuoteEditorState
from pages.quotes.editor_view import quote_editor_page
from pages.quotes.list_state import QuotesState
from pages.quotes.list_view import quotes_page

__all__ = ["QuoteEditorState", "QuotesState", "quote_editor_page", "quotes_page"]
