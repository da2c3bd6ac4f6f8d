"""``python -m crm_app.cli.main`` runs the ``crm`` command without the console script."""

from crm_app.cli import app

if __name__ == "__main__":
    app()
