"""Provider-neutral machinery shared by every acloud client (never imports a provider)."""
