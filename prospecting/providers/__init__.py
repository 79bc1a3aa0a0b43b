"""HTTP clients for the data providers, one module per provider."""
