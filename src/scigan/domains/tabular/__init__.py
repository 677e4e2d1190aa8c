"""The tabular domain (virtual experiments); filled in by the tabular work."""
