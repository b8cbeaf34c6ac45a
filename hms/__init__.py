"""HMS: hospital and clinic management system."""
