"""Employers: who may receive a placement, and the checks of their working conditions."""
