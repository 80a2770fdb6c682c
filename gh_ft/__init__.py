"""gh-ft: fine-tune a code model on your own Grasshopper components, serve it, judge it, improve it."""
__version__ = "0.1.0"
