"""Reliability catalogue: bad-input and fault cases with the outcome class each should get."""
