"""Gunicorn settings shared by the portal and the floor; `bench.run` adds the bind (an
inherited listening socket), worker count, worker class and threads on the command line,
identically for both servers."""

keepalive = 5  # seconds; longer than any gap between a connection's requests
timeout = 60
graceful_timeout = 5
accesslog = None  # logging every request would measure the log, not the server
errorlog = "-"
loglevel = "warning"
preload_app = False
