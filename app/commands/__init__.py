"""One module per group of ``roomctl`` subcommands; each has ``register(sub, common)``."""
