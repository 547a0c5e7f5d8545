"""PEP 249 Connection and Cursor over shillelagh's APSW backend and the Query API."""
