"""Where collected data goes. Every sink accepts the model's dataclasses."""
