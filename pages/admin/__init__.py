"""The administrator's pages: dashboard, departments, doctors, patients, appointments, jobs, outbox, audit log."""
