"""One process serving scene search, recognition and genres over REST, plus the web page."""
