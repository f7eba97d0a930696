"""Job placements and how long they last; the outcomes of job placement."""
