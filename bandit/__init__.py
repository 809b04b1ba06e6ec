"""alphaminer: bandit."""
