"""The engine as a service for a front end in another process: commands in, events out."""
