"""Trygg: panic alarm and incident alert service."""
