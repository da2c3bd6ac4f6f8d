"""/agenda: day, week and month over several calendars; a list on phones."""

from pages.agenda.state import AgendaState
from pages.agenda.view import agenda_page

__all__ = ["AgendaState", "agenda_page"]
