"""/ (Inicio): "Tu día" and the role dashboard."""

from pages.home.state import HomeState
from pages.home.view import home_page

__all__ = ["HomeState", "home_page"]
