"""Employers, their safe-working-conditions checks, and job placements."""
