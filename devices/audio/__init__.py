"""Audio adapters: the live soundscape stream (PortAudio) and the music player (libvlc)."""
