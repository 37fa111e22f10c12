"""Settings for the REST API (escalate/api)."""
