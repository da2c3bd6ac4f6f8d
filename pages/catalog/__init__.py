"""/productos: the catalog of products and services."""

from pages.catalog.state import CatalogState
from pages.catalog.view import catalog_page

__all__ = ["CatalogState", "catalog_page"]
