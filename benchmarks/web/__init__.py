"""Settings and a bare Django app for ``bench_web.py``."""
