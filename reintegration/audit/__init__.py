"""The append-only audit log: who viewed, changed or exported what, and every login."""
