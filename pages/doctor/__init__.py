"""The doctor's pages: the day, the patients and their histories, one visit, the availability."""
