"""Allowances: the support policy as dated data; requests, decisions, payments and corrections."""
