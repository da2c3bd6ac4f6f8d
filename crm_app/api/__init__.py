"""HTTP API: thin routes over the services, mounted into Reflex through ``api_transformer``."""
