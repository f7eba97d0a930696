"""The reintegration plan made with the person: goals in three dimensions."""
