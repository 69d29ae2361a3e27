"""The imperative shell around the pure core: configuration, and (as they land) the
bus, the live routing server, the simulated PBX, the store and the ``cti`` CLI."""
