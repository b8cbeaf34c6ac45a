"""The front desk's screens (role reception; the administrator may open them too)."""
