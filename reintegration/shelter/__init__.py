"""Facilities, shelter stays and the services given."""
