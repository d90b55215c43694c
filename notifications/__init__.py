"""Notifications: what Muster tells people, in the app, by email (at once and in a digest) and
in their calendar feed. Other apps' acts reach it through signals and registries, never an import."""
