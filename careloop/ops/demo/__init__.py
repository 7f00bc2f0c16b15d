"""Demo data loaders (``careloop demo``). Apps hook in through the registry ``careloop.core.demo``."""
