"""The patient pages, one module per page group; none imports another."""
