"""Local fakes of third-party services (Anthropic, ...) that the real SDKs talk to on loopback."""
