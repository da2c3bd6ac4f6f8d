"""/tareas: the pending tasks (today, overdue, upcoming)."""

from pages.tasks.state import TasksState
from pages.tasks.view import tasks_page

__all__ = ["TasksState", "tasks_page"]
