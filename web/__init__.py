"""Page templates and static files, shipped as package data."""
