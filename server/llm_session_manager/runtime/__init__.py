"""What keeps a long-running frontend going: the engine that calls services off the event loop, and the log watcher."""
