"""alphaminer: expressions."""
