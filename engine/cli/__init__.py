"""The `docent` command line."""
