"""The web chat widget: settings, visitor tokens, conversations and uploads of a shop's website visitors."""
