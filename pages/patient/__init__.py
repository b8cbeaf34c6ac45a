"""The patient's pages: home, finding a doctor and booking, appointments, visits, profile and access log."""
