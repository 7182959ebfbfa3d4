"""Tests of the worker: middleware on the stub broker; actors through a real broker and worker processes."""
