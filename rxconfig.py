"""Reflex configuration, derived from crm_app.settings (the one source of truth)."""

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

from crm_app.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="crm_app",
    frontend_port=_settings.port,
    backend_port=_settings.port,
    backend_host=_settings.host,
    api_url=_settings.browser_url,
    deploy_url=_settings.browser_url,
    # CORS (Reflex's middleware) and the websocket handshake of /_event both refuse any other
    # Origin; unset, Reflex would allow "*" and echo any Origin with credentials.
    cors_allowed_origins=tuple(_settings.allowed_origins),
    redis_url=_settings.redis_url or None,
    state_manager_mode="redis" if _settings.redis_url else "memory",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    default_color_mode="light",
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(
        accent_color="indigo", gray_color="slate", radius="medium", scaling="100%",
        has_background=True))],
    disable_plugins=[SitemapPlugin],
)
