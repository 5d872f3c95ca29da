"""Human handoff: escalation records, the handoff summary, claims, relay, resolve, rating."""
