"""Judging generated components: the validation ladder, and (later) generation and reports."""
