"""alphaminer: pipelines."""
