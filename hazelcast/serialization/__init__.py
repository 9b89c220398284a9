"""Serialization: the Data format, built-in types and Compact."""
