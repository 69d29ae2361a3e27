"""Textual consoles: supervisor wallboard, agent desktop, QA player. Not yet built."""
