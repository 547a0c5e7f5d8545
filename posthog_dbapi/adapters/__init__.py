"""shillelagh adapters: a REST adapter per resource, its virtual-table module, connection state."""
