"""Numbers computed from a run (or a model's weights): head metrics, q-k anatomy, the walkthrough, senses, stats."""
