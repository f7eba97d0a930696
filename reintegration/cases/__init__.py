"""The person: intake, consent, timeline and stage of the journey."""
