"""newsstreams: raw news articles in, parsed, enriched and classified records out, as a Kafka stream."""
__version__ = "0.1.0"
