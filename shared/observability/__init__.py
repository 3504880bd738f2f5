"""Logs and traces, configured once per process by the app factory."""
