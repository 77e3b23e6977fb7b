"""Spec-faithful fake servers (aiohttp, 127.0.0.1) for services without an emulator, or
for behaviours an emulator lacks."""
