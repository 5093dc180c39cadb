"""Pure domain and the LMDB store. Imports nothing from `printers` or `line_adapters`."""
