"""shillelagh adapters: one REST adapter per resource and a HogQL-backed adapter for event tables."""
