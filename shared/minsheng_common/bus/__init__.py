"""The event bus: outbox, relay, inbox and consumer loop on aiokafka."""
