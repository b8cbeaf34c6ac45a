"""The JSON API under /api: a FastAPI application mounted on NiceGUI's app, over the same services as the pages."""
