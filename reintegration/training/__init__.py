"""Vocational courses and soft-skills modules: enrolment, attendance, completion."""
