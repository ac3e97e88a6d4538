from .main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
