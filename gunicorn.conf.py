"""gunicorn settings for production (`gunicorn wsgi:app` reads this file), also used
by the pollers benchmark. Command-line flags and GUNICORN_CMD_ARGS override them."""

import os

# Two processes per core, one request at a time each. A request here is a few ms
# of Python between database round trips, and threads of one process queue for
# the GIL: with 200 pages polling on two cores the median poll took about 6 ms on
# 2 x 32 threads, 6-8 ms on 4 x 8 and 4-4.6 ms on 4 x 1. The gthread worker keeps
# idle keep-alive connections out of the request thread. Slow requests (large CSV
# uploads and downloads) hold a process each: serve behind a buffering proxy, or
# raise threads if a few of them must not make the polls wait.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
threads = 1
