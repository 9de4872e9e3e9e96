"""The `review` command line: thin commands over the services."""
