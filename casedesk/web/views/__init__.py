"""The web UI's views: parse the request, call one service or selector, render."""
