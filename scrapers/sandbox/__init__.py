"""Emulators of the booking platforms' real APIs over loopback, driven by one seeded world."""
