"""Domain vocabulary shared by every layer: roles, statuses and errors."""
