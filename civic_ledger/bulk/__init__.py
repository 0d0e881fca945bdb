"""Bulk jobs: CSV imports that batch on chain and resume from a journal."""
