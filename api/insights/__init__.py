"""GraphQL of the insights area: segments, scores and predictions."""
