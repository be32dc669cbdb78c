"""Cross-cutting plumbing with no tables: tenancy, real-time publishing, tasks, errors."""
