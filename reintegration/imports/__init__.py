"""Bringing a shelter's old spreadsheets in: the template, the check of every row, the import."""
