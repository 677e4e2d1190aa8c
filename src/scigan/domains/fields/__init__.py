"""The fields domain (physics fields); filled in by the fields work."""
