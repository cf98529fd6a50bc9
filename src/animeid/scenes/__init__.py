"""Scene search: index a video library, then find title, episode and second of a screenshot."""
