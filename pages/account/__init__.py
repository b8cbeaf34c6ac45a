"""Pages of every signed-in user and of visitors: sign-in and registration, the own account and password,
sign-in security (two-step verification) and the own exports."""
