"""alphaminer: miner."""
