"""Celery: the app, the beat schedule, and one-line tasks over services and analytics."""
