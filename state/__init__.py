"""alphaminer: state."""
