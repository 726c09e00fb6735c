"""The Jupyter side: runtime (loop thread + shared client), magics, display."""
