"""Data files the exercises ship (see README.md)."""
