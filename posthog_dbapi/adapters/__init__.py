"""The tables' adapters: a REST adapter per resource (``rest``), a HogQL adapter for event-scale
tables (``hogql_adapter``), the virtual-table module that drives both (``vtable``), value
conversion (``values``), scan filters (``filters``) and per-connection state (``state``)."""
