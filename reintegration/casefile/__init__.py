"""The case as a whole: its page, list and closing, gathered from every domain of the journey."""
