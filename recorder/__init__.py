"""Call recording: WAV writer with SHA-256 integrity, replay, audio analytics,
QA evaluation forms and the mystery-shopper programme. Not yet built."""
