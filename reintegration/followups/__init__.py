"""Follow-up after the person goes home: visits, risk signs, sustainability checks."""
