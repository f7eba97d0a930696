"""The support policy as dated data: the standard social-assistance level, allowance kinds and
their rules, public holidays; what an allowance comes to on a day, and working days."""
